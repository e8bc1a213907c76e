"""Rasa's replies as a WeChat follower sees them (bot/channels/wechat.py): texts with numbered
choices instead of buttons, a verdict as a short card ("详细" for the full text), QR codes as images."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Optional

MAX_TEXT_CHARS = 600  # a WeChat text message holds 2,048 bytes; a Chinese character is 3
CHOOSE_BY_NUMBER = "回复数字："
FULL_TEXT_HINT = "回复“详细”看完整说明和依据。"


@dataclass
class Out:
    text: Optional[str] = None
    image: Optional[bytes] = None


@dataclass
class Rendered:
    outs: list[Out] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)  # payloads of the last numbered choices
    full_text: Optional[str] = None


def numbered(buttons: list[dict[str, Any]]) -> tuple[str, list[str]]:
    lines = [f"{n} {b.get('title') or b.get('payload')}" for n, b in enumerate(buttons, 1)]
    return CHOOSE_BY_NUMBER + "\n" + "\n".join(lines), [str(b.get("payload") or b.get("title")) for b in buttons]


def verdict_card(decision: dict[str, Any], card: dict[str, Any]) -> str:
    """The verdict as a short card: verdict, why, what to bring, where, caveats (the renderer's words)."""
    from bot.rules import labels

    lines = ["【" + labels.VERDICT.get(decision.get("verdict"), "") + "】"]
    if card.get("why"):
        lines.append("原因：" + card["why"])
    materials = [m.get("text") for m in decision.get("materials") or () if isinstance(m, dict) and m.get("text")]
    if materials:
        lines.append("要带：")
        lines.extend("□ " + text for text in materials)
    if card.get("where"):
        lines.append("去哪办：" + card["where"])
    lines.extend("！" + note for note in card.get("notes") or ())
    lines.append(FULL_TEXT_HINT)
    return "\n".join(lines)


def _png_of(data_url: Any) -> Optional[bytes]:
    if isinstance(data_url, str) and data_url.startswith("data:image/png;base64,"):
        try:
            return base64.b64decode(data_url.split(",", 1)[1], validate=True)
        except ValueError:
            return None
    return None


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Long texts in pieces WeChat accepts, cut at line ends."""
    pieces, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        pieces.append(current)
    return pieces


def render(replies: list[dict[str, Any]]) -> Rendered:
    """Rasa's REST replies as WeChat messages: texts with numbered choices, a verdict's card, QR images."""
    out = Rendered()
    texts: list[tuple[str, list[dict[str, Any]]]] = []
    for reply in replies:
        custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else {}
        decision = custom.get("decision") if isinstance(custom.get("decision"), dict) else None
        if decision and custom.get("card"):
            # Rasa sends the full text first, then the decision: the card takes the text's place.
            full = next((i for i in range(len(texts) - 1, -1, -1) if texts[i][0].startswith("结论：")), None)
            if full is not None:
                out.full_text = texts[full][0]
                texts[full] = (verdict_card(decision, custom["card"]), texts[full][1])
            continue
        png = _png_of(custom.get("qr"))
        if png is not None:
            if texts:
                out.outs.extend(Out(text=piece) for text, _ in texts for piece in split_text(text))
                texts = []
            out.outs.append(Out(image=png))
            continue
        text = reply.get("text") if isinstance(reply.get("text"), str) else None
        buttons = [b for b in reply.get("buttons") or () if isinstance(b, dict)]
        if text or buttons:
            texts.append((text or "", buttons))
    for text, buttons in texts:
        if buttons:
            listed, out.choices = numbered(buttons)
            text = f"{text}\n{listed}" if text else listed
        out.outs.extend(Out(text=piece) for piece in split_text(text))
    return out


