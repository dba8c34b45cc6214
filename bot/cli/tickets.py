"""`factcheck tickets`: the fact-checkers' queue at the command line.

The same actions as the checkers' Telegram group (same service, same checks, same audit trail),
for checkers who prefer a terminal and for operators during an incident. Acting needs `--as` with
a checker's Telegram user id: the CLI has database access, but the audit trail should still say
who answered what, and a typo in the id should be refused rather than recorded.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.checkers import open_database
from bot.cli.kb import add_knowledge_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    tickets = subparsers.add_parser("tickets", help="fact-checkers' queue: list, show, answer")
    sub = tickets.add_subparsers(dest="tickets_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="open tickets, the most asked first")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument(
        "--include-held", action="store_true",
        help="also tickets held for a few minutes while their voter says whether they are "
        "another ticket's claim (left out by default, as in the checkers' /queue)",
    )
    listing.set_defaults(handler=run_list)

    show = sub.add_parser("show", help="one ticket: claim, languages, askers, answer, history")
    show.add_argument("ticket", type=int, metavar="N")
    show.add_argument("--json", action="store_true", help="print it as JSON")
    show.set_defaults(handler=run_show)

    take = sub.add_parser("take", help="assign a ticket to yourself")
    take.add_argument("ticket", type=int, metavar="N")
    take.add_argument("--force", action="store_true", help="take it over from another checker")
    _wording(take)
    _actor(take)
    take.set_defaults(handler=run_take)

    answer = sub.add_parser(
        "answer",
        help="answer a ticket; every waiting voter is notified in their language",
        description="Stores the verdict, closes the ticket and queues one notification per "
        "waiting voter. Give the explanation in as many of th/ms/en as you can; voters whose "
        "language is missing get it in another language with a note.",
    )
    answer.add_argument("ticket", type=int, metavar="N")
    kind = answer.add_mutually_exclusive_group(required=True)
    kind.add_argument(
        "--verdict", choices=("true", "false", "misleading", "partly-true", "unproven"),
    )
    kind.add_argument(
        "--fact", action="store_true",
        help="a question of fact (when, where, how to vote): answered without a verdict",
    )
    for lang in ("en", "th", "ms"):
        answer.add_argument(f"--explanation-{lang}", metavar="TEXT", default=None)
    answer.add_argument(
        "--source", action="append", default=[], metavar="URL", required=True,
        help="an http(s) URL the verdict rests on (repeat for several)",
    )
    _wording(answer)
    _actor(answer)
    answer.set_defaults(handler=run_answer)

    link = sub.add_parser(
        "link",
        help="answer a ticket with a knowledge entry or an answered ticket (no retyping)",
        description="ENTRY_ID: the entry's verdict, answer and sources are sent to every "
        "waiting voter in their language, as for a typed answer (entries are read from "
        "--knowledge, KNOWLEDGE_DIR or the bundled knowledge). #M: the ticket is merged into "
        "answered ticket M, whose answer its voters get at once.",
    )
    link.add_argument("ticket", type=int, metavar="N")
    link.add_argument("target", metavar="ENTRY_ID|#M")
    add_knowledge_argument(link)
    _actor(link)
    link.set_defaults(handler=run_link)

    word = sub.add_parser(
        "word",
        help="word a ticket's claim for other voters (open or answered tickets)",
        description="Sets the claim in your words: the only form in which voters other than "
        "its askers see it. An open ticket can then be offered to voters asking the same; an "
        "answered one is served as knowledge and exported.",
    )
    word.add_argument("ticket", type=int, metavar="N")
    _wording(word, required=True)
    _actor(word)
    word.set_defaults(handler=run_word)

    reject = sub.add_parser("reject", help="close a ticket that is not a checkable claim")
    reject.add_argument("ticket", type=int, metavar="N")
    reject.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    reject.add_argument(
        "--category", choices=("not-a-claim", "out-of-scope"), default="not-a-claim",
        help="what voters are told (default: not-a-claim)",
    )
    _actor(reject)
    reject.set_defaults(handler=run_reject)

    dup = sub.add_parser("dup", help="merge a ticket into another one (same claim)")
    dup.add_argument("ticket", type=int, metavar="N")
    dup.add_argument("--of", dest="target", type=int, required=True, metavar="M")
    _actor(dup)
    dup.set_defaults(handler=run_dup)


def _wording(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--wording", metavar="TEXT", required=required,
        help="the claim in your own words, as voters other than its askers will see it (a "
        "voter's own words are never shown to other voters; without a wording they see no "
        "claim, only the verdict)",
    )
    parser.add_argument(
        "--region", metavar="CC", default=None,
        help="the country the claim is about, as a two-letter code (TH, MY); exported with it",
    )


def _actor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="actor", type=int, required=True, metavar="CHECKER_ID",
        help="your Telegram user id (must be a checker)",
    )


def _service():  # type: ignore[no-untyped-def]
    from bot.escalation.checker_registry import CheckerRegistry
    from bot.escalation.tickets import TicketService

    database = open_database()
    return TicketService(database, registry=CheckerRegistry.from_settings(database))


def _guard(action):  # type: ignore[no-untyped-def]
    """Run an action; an EscalationError becomes `error: ...` on stderr and exit status 1."""
    from bot.escalation.errors import EscalationError

    try:
        return action()
    except EscalationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def run_list(args: argparse.Namespace) -> int:
    tickets = _service().list_open(
        limit=args.limit, include_held=getattr(args, "include_held", False)
    )
    for t in tickets:
        if args.json:
            print(_json({"id": t.id, "status": t.status, "askers": t.askers,
                         "language": t.language, "assigned_to": t.assigned_to,
                         "claim": t.claim_text, "wording": t.claim_wording,
                         "region": t.region, "created_at": t.created_at}))
        else:
            claim = " ".join(t.claim_text.split())
            claim = claim if len(claim) <= 70 else claim[:69] + "…"
            who = f" (taken by {t.assigned_to})" if t.assigned_to else ""
            print(f"#{t.id:<5} {t.askers:>5} asked  [{t.language}] {claim}{who}")
    if not args.json:
        print(f"{len(tickets)} open ticket(s)", file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace) -> int:
    def show() -> int:
        from bot.escalation.rejected_view import reasons_text, rejected_for_ticket
        from bot.media.records import media_json, media_lines
        from bot.texts.desk import desk

        service = _service()
        d = service.show(args.ticket)
        t = d.ticket
        media = service.repo.media_of_ticket(t.id)  # the screenshots and links voters sent
        rejected = rejected_for_ticket(service.repo, t.id)  # what the knowledge offered them
        if args.json:
            print(_json({
                "id": t.id, "status": t.status, "askers": t.askers, "language": t.language,
                "claim": t.claim_text, "wording": t.claim_wording, "region": t.region,
                "assigned_to": t.assigned_to,
                "languages": dict(d.languages), "duplicate_of": d.duplicate_of,
                "duplicates": list(d.duplicates), "resolution": d.resolution,
                "answer": None if d.answer is None else {
                    "verdict": d.answer.verdict, "explanation": dict(d.answer.explanation),
                    "sources": list(d.answer.sources), "checker_id": d.answer.checker_id,
                    "entry_id": d.answer.entry_id,
                },
                "rejected": [
                    {"entry_id": r.entry_id, "voters": r.voters, "reasons": dict(r.reasons)}
                    for r in rejected
                ],
                "notifications": dict(d.notifications),
                "media": media_json(media),
                "history": [{"at": h.at, "actor": h.actor_id, "action": h.action,
                             "details": dict(h.details)} for h in d.history],
            }))
            return 0
        opened = f"{t.created_at:%Y-%m-%d %H:%M}"
        print(f"Ticket #{t.id} [{t.status}]  asked by {t.askers}  opened {opened}")
        print(f"Claim ({t.language}): {t.claim_text or '(deleted at the asker’s request)'}")
        for line in media_lines(media):
            print(line)
        if t.claim_wording:
            print(f"Shown to other voters as: {t.claim_wording}"
                  + (f"  [{t.region}]" if t.region else ""))
        else:
            print("Not worded yet: other voters see no claim (`factcheck tickets word`)")
        langs = ", ".join(f"{k} {v}" for k, v in sorted(d.languages.items())) or "none left"
        print(f"Waiting or notified, by language: {langs}")
        if t.assigned_to:
            print(f"Taken by: {t.assigned_to}")
        if d.duplicate_of:
            print(f"Duplicate of: #{d.duplicate_of}")
        if d.duplicates:
            print("Merged into this one: " + ", ".join(f"#{x}" for x in d.duplicates))
        if d.resolution:
            print(f"Resolution: {d.resolution}")
        if rejected:
            print("Offered by the bot and rejected by the asker(s):")
            for r in rejected:
                reasons = reasons_text(r, lambda why: desk(f"reason_{why}"))
                print(f"  {r.entry_id}  ({reasons})")
        if d.answer:
            verdict = d.answer.verdict or "none (a question of fact)"
            print(f"Verdict: {verdict} (by {d.answer.checker_id})")
            if d.answer.entry_id:
                print(f"Linked knowledge entry: {d.answer.entry_id}")
            for lang, body in d.answer.explanation.items():
                print(f"  [{lang}] {body}")
            for url in d.answer.sources:
                print(f"  source: {url}")
        if d.notifications:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(d.notifications.items()))
            print(f"Notifications: {counts}")
        for h in d.history:
            details = ", ".join(f"{k}={v}" for k, v in h.details.items())
            print(f"  {h.at:%Y-%m-%d %H:%M:%S}  {h.actor_id}  {h.action}  {details}")
        return 0

    return _guard(show)


def run_take(args: argparse.Namespace) -> int:
    def take() -> int:
        t = _service().take(
            args.ticket, args.actor, force=args.force, wording=args.wording, region=args.region
        )
        print(f"ticket #{t.id} taken by {t.assigned_to}")
        return 0

    return _guard(take)


def run_answer(args: argparse.Namespace) -> int:
    explanation = {
        lang: getattr(args, f"explanation_{lang}")
        for lang in ("en", "th", "ms")
        if getattr(args, f"explanation_{lang}")
    }

    def answer() -> int:
        receipt = _service().answer(
            args.ticket, args.actor, verdict=args.verdict, explanation=explanation,
            sources=args.source, wording=args.wording, region=args.region,
            fact=bool(getattr(args, "fact", False)),
        )
        print(f"ticket #{receipt.ticket_id} answered; {receipt.notifications} voter(s) will be "
              "notified")
        return 0

    return _guard(answer)


def run_link(args: argparse.Namespace) -> int:
    def link() -> int:
        from bot.escalation.errors import InvalidAction

        service = _service()
        target = args.target.strip()
        if target.startswith("#"):
            try:
                answered = int(target[1:])
            except ValueError:
                raise InvalidAction(f"{target!r}: #M names a ticket by its number") from None
            receipt = service.link_ticket(args.ticket, answered, args.actor)
            print(f"ticket #{args.ticket} answered with #{receipt.ticket_id}; "
                  f"{receipt.notifications} voter(s) will be notified")
            return 0
        entry = _knowledge(args).get(target)
        if entry is None or not entry.is_published:
            raise InvalidAction(f"no published entry {target!r} in the knowledge "
                                "(`factcheck kb stats` counts them; #M links a ticket)")
        receipt = service.link_entry(args.ticket, args.actor, entry)
        print(f"ticket #{receipt.ticket_id} answered with {entry.id}; "
              f"{receipt.notifications} voter(s) will be notified")
        return 0

    return _guard(link)


def _knowledge(args: argparse.Namespace) -> Any:
    """The knowledge to find a linked entry in: --knowledge, else KNOWLEDGE_DIR, else the
    bundled one (as every command that reads knowledge)."""
    from bot.cli.kb import default_knowledge_dir
    from knowledge.loader import load_directory

    return load_directory(args.knowledge or default_knowledge_dir())


def run_word(args: argparse.Namespace) -> int:
    def word() -> int:
        t = _service().set_wording(
            args.ticket, args.actor, wording=args.wording, region=args.region
        )
        print(f"ticket #{t.id} is shown to other voters as: {t.claim_wording}")
        return 0

    return _guard(word)


def run_reject(args: argparse.Namespace) -> int:
    def reject() -> int:
        receipt = _service().reject(
            args.ticket, args.actor, reason=args.reason, category=args.category
        )
        print(f"ticket #{receipt.ticket_id} rejected ({args.category}); "
              f"{receipt.notifications} voter(s) will be told")
        return 0

    return _guard(reject)


def run_dup(args: argparse.Namespace) -> int:
    def dup() -> int:
        receipt = _service().mark_duplicate(args.ticket, args.target, args.actor)
        print(f"ticket #{args.ticket} merged into #{receipt.ticket_id}")
        return 0

    return _guard(dup)
