"""The core's calls on storage are typed (issue #18): a misspelt method or a misread receipt is a
mypy error, which `make test` runs, instead of a database failure logged at run time while the
voter is told the database is down. This runs mypy on handler code with one of each mistake, and
on the same code written correctly, to show the check catches exactly those."""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]

HANDLER = '''
from bot.core.context import TurnContext
from bot.core.ports import ChoiceOutcome


async def handler(ctx: TurnContext) -> bool:
    await ctx.store.{method}(user_id=1, chat_id=1, text="x", language="en")
    result = await ctx.store.choose_ticket(user_id=1, own_ticket_id=2, target_ticket_id=None)
    receipt = result.value
    return receipt is not None and receipt.{field} == ChoiceOutcome.JOINED
'''


def check(tmp_path: Path, name: str, **names: str) -> tuple[str, int]:
    path = tmp_path / f"{name}.py"
    path.write_text(HANDLER.format(**names), encoding="utf-8")
    out, err, status = api.run(
        [str(path), "--config-file", str(ROOT / "pyproject.toml"), "--strict"]
    )
    return out + err, status


def test_a_misspelt_method_or_receipt_field_is_a_type_error(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)  # mypy finds the project's packages from here
    wrong, status = check(tmp_path, "wrong", method="escalte", field="outcom")
    assert status == 1, wrong
    assert '"GuardedStore" has no attribute "escalte"' in wrong
    assert '"ChoiceReceipt" has no attribute "outcom"' in wrong
    right, status = check(tmp_path, "right", method="escalate", field="outcome")
    assert status == 0, right
