"""Slack's Block Kit limits as the emulator enforces them: which messages Slack rejects, and why.

``validate_message`` returns the problems Slack would answer with ``invalid_blocks`` /
``msg_too_long`` / ``msg_blocks_too_long``; an empty list means Slack accepts the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Slack's limits (Block Kit reference; chat.postMessage).
MAX_BLOCKS = 50
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BLOCK_ID = 255
MAX_MARKDOWN_BLOCK_TEXT = 12000
MAX_MESSAGE_TEXT = 40000

# Undocumented: Slack answers `msg_blocks_too_long` once the blocks carry roughly 13,000
# characters of text (observed; it varies with the block mix). We stop a little earlier.
DEFAULT_BLOCKS_TEXT_LIMIT = 12000
BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)


def text_length(text: str) -> int:
    """Characters as Slack's limits count them (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _text_object(obj: Any, pointer: str, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, Mapping):
        return [f"must provide an object [json-pointer:{pointer}]"]
    allowed = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
    if obj.get("type") not in allowed:
        return [f"must be one of {sorted(allowed)} [json-pointer:{pointer}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if text_length(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _elements(block: Mapping[str, Any], pointer: str, limit: int) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"must provide an array of at least 1 item [json-pointer:{pointer}/elements]"]
    if len(elements) > limit:
        return [f"no more than {limit} items allowed [json-pointer:{pointer}/elements]"]
    return []


def validate_blocks(blocks: Any) -> list[str]:
    """Slack-style problems with a `blocks` array (empty when Slack would accept it)."""
    if not isinstance(blocks, list):
        return ["must provide an array [json-pointer:/blocks]"]
    if len(blocks) > MAX_BLOCKS:
        return [f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"]
    problems: list[str] = []
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        if not isinstance(block, Mapping) or block.get("type") not in BLOCK_TYPES:
            problems.append(f"unsupported type [json-pointer:{pointer}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID:
                problems.append(f"invalid block_id [json-pointer:{pointer}/block_id]")
            elif block_id in block_ids:
                problems.append(f"duplicate block_id [json-pointer:{pointer}/block_id]")
            else:
                block_ids.add(block_id)
        kind = block["type"]
        if kind == "header":
            problems += _text_object(
                block.get("text"), f"{pointer}/text", MAX_HEADER_TEXT, plain_only=True
            )
        elif kind == "section":
            fields = block.get("fields")
            if "text" not in block and not fields:
                problems.append(f"must provide text or fields [json-pointer:{pointer}]")
            if "text" in block:
                problems += _text_object(block["text"], f"{pointer}/text", MAX_SECTION_TEXT)
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
                    problems.append(
                        f"no more than {MAX_SECTION_FIELDS} items allowed "
                        f"[json-pointer:{pointer}/fields]"
                    )
                else:
                    for i, item in enumerate(fields):
                        problems += _text_object(item, f"{pointer}/fields/{i}", MAX_FIELD_TEXT)
        elif kind == "context":
            found = _elements(block, pointer, MAX_CONTEXT_ELEMENTS)
            problems += found
            if not found:
                for i, element in enumerate(block["elements"]):
                    if isinstance(element, Mapping) and element.get("type") == "image":
                        continue
                    problems += _text_object(element, f"{pointer}/elements/{i}", MAX_SECTION_TEXT)
        elif kind == "actions":
            problems += _elements(block, pointer, MAX_ACTIONS_ELEMENTS)
        elif kind == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or not text or len(text) > MAX_MARKDOWN_BLOCK_TEXT:
                problems.append(f"invalid markdown text [json-pointer:{pointer}/text]")
    return problems


def _block_text_total(value: Any) -> int:
    if isinstance(value, Mapping):
        total = 0
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                total += text_length(item)
            else:
                total += _block_text_total(item)
        return total
    if isinstance(value, list):
        return sum(_block_text_total(item) for item in value)
    return 0


def validate_message(
    text: Any,
    blocks: Any,
    *,
    blocks_text_limit: int | None = DEFAULT_BLOCKS_TEXT_LIMIT,
) -> tuple[str, list[str]] | None:
    """(Slack error code, details) for a message Slack would reject, else None."""
    if text is not None and not isinstance(text, str):
        return "invalid_arguments", ["text must be a string"]
    if blocks is None or blocks == []:
        if not text or not text.strip():
            return "no_text", []
    else:
        if not isinstance(blocks, list):
            return "invalid_blocks_format", ["must provide an array [json-pointer:/blocks]"]
        problems = validate_blocks(blocks)
        if problems:
            return "invalid_blocks", problems
        if blocks_text_limit is not None and _block_text_total(blocks) > blocks_text_limit:
            return "msg_blocks_too_long", []
    if text and text_length(text) > MAX_MESSAGE_TEXT:
        return "msg_too_long", []
    return None
