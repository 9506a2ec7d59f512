"""``gapwatch init-db``: create or upgrade every gapwatch table, on one server or a cluster.

    gapwatch init-db --clickhouse-url http://admin:pw@ch:8123/otel
    gapwatch init-db --clickhouse-url http://admin:pw@ch:8123/otel --cluster gapwatch
    gapwatch init-db --cluster gapwatch --print > schema.sql     # review first, no server asked

With ``--cluster`` the tables are Replicated, created ``ON CLUSTER`` in ``<db>_local``, and
``<db>`` gets a Distributed front per table (see ``gapwatch.analyzer.cluster``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "init-db",
        help="create or upgrade the gapwatch tables (one server or a cluster)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument(
        "--clickhouse-url", help="store URL (env GAPWATCH_CLICKHOUSE_URL; default embedded chDB)"
    )
    parser.add_argument(
        "--cluster", help="ClickHouse cluster name: Replicated + Distributed (env GAPWATCH_CLUSTER)"
    )
    parser.add_argument(
        "--local-database",
        default=os.environ.get("GAPWATCH_LOCAL_DATABASE", ""),
        help="database for the Replicated tables; default <database>_local"
        " (env GAPWATCH_LOCAL_DATABASE)",
    )
    parser.add_argument(
        "--ttl-days", type=int, help="span retention in days (env GAPWATCH_TTL_DAYS)"
    )
    parser.add_argument(
        "--print",
        action="store_true",
        dest="print_only",
        help="print the DDL instead of running it; no server is contacted",
    )
    parser.add_argument(
        "--server-version",
        help="with --print: the ClickHouse version to render for (skip-index flavour; "
        "default: the version gapwatch is tested with)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gapwatch.analyzer.cli._backend import server_holding
    from gapwatch.analyzer.cluster import (
        DEFAULT_SERVER_VERSION,
        ClusterLayout,
        apply_cluster_schema,
        render_cluster_ddl,
        render_schema,
    )
    from gapwatch.analyzer.schema import create_analyzer_schema
    from gapwatch.analyzer.settings import Settings
    from gapwatch.collector import CollectorError, SchemaOptions, connect

    overrides = {
        key: value
        for key, value in (
            ("clickhouse_url", args.clickhouse_url),
            ("cluster", args.cluster),
            ("ttl_days", args.ttl_days),
        )
        if value is not None
    }
    try:
        settings = Settings(**overrides)
        layout = None
        if settings.cluster:
            layout = ClusterLayout(
                settings.cluster, settings.database, args.local_database, settings.ttl_days
            )
        options = SchemaOptions(settings.database, settings.ttl_days)
        if args.print_only:
            statements = (
                render_cluster_ddl(layout, args.server_version or DEFAULT_SERVER_VERSION)
                if layout
                else render_schema(options, args.server_version or DEFAULT_SERVER_VERSION)
            )
            sys.stdout.write("".join(f"{statement};\n\n" for statement in statements))
            return 0
        holder = server_holding(settings.clickhouse_url, settings.data_dir)
        if holder is not None:
            print(f"gapwatch init-db: gapwatch serve (pid {holder.get('pid')}, "
                  f"{holder.get('api_url')}) holds this embedded store and has already created "
                  "and upgraded its tables; stop it first to run init-db", file=sys.stderr)
            return 1
        client = connect(settings.clickhouse_url)
        try:
            applied = (
                apply_cluster_schema(client, layout)
                if layout
                else create_analyzer_schema(client, options)
            )
        finally:
            client.close()
    except CollectorError as error:
        logger.error("init-db failed: %s", error)
        return 2
    print(f"applied {len(applied)} migrations" + (f": {', '.join(applied)}" if applied else ""))
    return 0
