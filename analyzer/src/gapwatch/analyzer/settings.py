"""Settings of the gapwatch service, from flags, ``GAPWATCH_*`` environment variables and defaults.

    settings = Settings()                       # environment only
    settings = Settings(clickhouse_url="chdb:///srv/gapwatch/chdb")
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gapwatch.collector.storage import default_store_url, parse_store_url

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Settings(BaseSettings):
    """Every field reads ``GAPWATCH_<FIELD>``; comma-separated lists for the token fields."""

    model_config = SettingsConfigDict(env_prefix="GAPWATCH_", extra="ignore")

    data_dir: str = Field(
        default=".gapwatch", description="where embedded data, WAL and reports live"
    )
    clickhouse_url: str = Field(
        default="", description="chdb:///dir or http(s)://user:pw@host:8123/db"
    )
    host: str = Field(default="127.0.0.1", description="bind address for every listener")
    otlp_http_port: int = 4318
    otlp_grpc_port: int = 4317
    api_port: int = 8080
    ttl_days: int = Field(default=30, ge=0, description="span and model retention; 0 keeps forever")
    cluster: str = Field(default="", description="ClickHouse cluster name for ON CLUSTER DDL")
    reader_tokens: str = Field(
        default="", description="comma-separated API tokens with the reader role"
    )
    admin_tokens: str = Field(
        default="", description="comma-separated API tokens with the admin role"
    )
    ingest_tokens: str = Field(
        default="", description="comma-separated bearer tokens for OTLP ingest"
    )
    allow_open_network: bool = Field(
        default=False, description="allow a non-loopback bind without API tokens"
    )
    analysis_interval_minutes: float = Field(
        default=15.0, ge=0, description="0 disables the scheduler"
    )
    analysis_window: str = "7d"
    assembly_interval_seconds: float = Field(
        default=5.0, ge=0, description="seconds between trace-assembly passes, 0 = only before "
        "an analysis"
    )
    assembly_database: str = Field(
        default="", description="database whose tables trace assembly reads and writes (default: "
        "the database; on a cluster, the shard-local one: traces never cross shards)"
    )
    assembly_settle_seconds: float = Field(
        default=10.0, ge=0, description="a trace is assembled once no span of it came for this long"
    )
    api_url: str = Field(
        default="", description="a running gapwatch API for the CLI (default: probe)"
    )
    api_token: str = Field(default="", description="bearer token the CLI sends to the API")
    mcp_path: str = Field(
        default="/mcp", pattern=r"^(/[A-Za-z0-9._~-]+)*$",
        description="where serve mounts the MCP endpoint (streamable HTTP); '' turns it off",
    )
    verification_min_samples: int = Field(default=30, ge=1, description="spans per window to judge")
    verification_alpha: float = Field(default=0.05, gt=0, lt=1, description="significance level")
    webhook_url: str = Field(default="", description="Slack-compatible webhook for new/regressed")
    webhook_secret: str = Field(default="", description="HMAC-SHA256 key for the webhook signature")
    notify_priorities: str = Field(
        default="high", description="comma-separated priorities to notify"
    )
    github_repo: str = Field(default="", description="owner/name to export proposals to as issues")
    github_token: str = Field(
        default="", description="GitHub token (else the GITHUB_TOKEN variable)"
    )
    github_api_url: str = "https://api.github.com"
    public_url: str = Field(default="", description="where people reach this API, for links")
    trace_url_template: str = Field(
        default="", description="link to one trace, e.g. a Grafana explore URL with {trace_id}"
    )

    @model_validator(mode="after")
    def _fill_store_url(self) -> Settings:
        if not self.clickhouse_url:
            self.clickhouse_url = default_store_url(self.data_dir)
        parse_store_url(self.clickhouse_url)  # fail fast on a malformed URL
        return self

    @property
    def embedded(self) -> bool:
        return parse_store_url(self.clickhouse_url).embedded

    @property
    def database(self) -> str:
        return parse_store_url(self.clickhouse_url).database

    def tokens(self, role: str) -> frozenset[str]:
        raw = self.admin_tokens if role == "admin" else self.reader_tokens
        return frozenset(token.strip() for token in raw.split(",") if token.strip())
