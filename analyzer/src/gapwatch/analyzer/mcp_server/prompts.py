"""The review prompt: a ready-made request that walks a model through gapwatch's findings with
the person it works for, leaving every decision to that person.

    messages = review_messages(agent="coder")
"""

from __future__ import annotations

import mcp_types as types

REVIEW = "review_gaps"
AGENT_CHARS = 200

REVIEW_PROMPT = types.Prompt(
    name=REVIEW, title="Review the agents' capability gaps",
    description="Walk through what keeps failing in the agent fleet, proposal by proposal, with "
    "evidence and a sample trace each, and ask me what to decide.",
    arguments=[types.PromptArgument(
        name="agent", required=False,
        description="review only the proposals about this agent")],
)


def review_messages(agent: str = "") -> list[types.PromptMessage]:
    agent = agent.strip()[:AGENT_CHARS]
    scope = f" about the agent `{agent}`" if agent else ""
    filters = f', agent "{agent}"' if agent else ""
    text = (
        f"Review gapwatch's open improvement proposals{scope} with me.\n"
        f"1. Call list_proposals with status [\"open\", \"reopened\"]{filters}.\n"
        "2. For each of the first five, call show_proposal, and trace_summary on one of its "
        "sample traces, to see the failure as it happened.\n"
        "3. For each, tell me in two or three sentences what the agent cannot do, how much "
        "evidence there is, the proposed change and its risk, and what you would recommend.\n"
        "4. Do not approve, reject, snooze or mark anything implemented on your own: ask me, "
        "and when I decide, call the matching tool with my reason in my words."
    )
    return [types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))]
