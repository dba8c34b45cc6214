"""Every user-facing string in English.

Keys and {placeholders} must match th.py and ms.py exactly (tests/bot/test_texts.py checks).
Values are Telegram-HTML: only <b>, <i> and <a href> are used, and placeholder values are
escaped by the caller, so a literal "<" or "&" here must be written as &lt; or &amp;.
"""

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
#: Added to the year when a date is shown (Thai dates use the Buddhist era).
YEAR_OFFSET = 0
DATE_FORMAT = "{day} {month} {year}"

TEXTS: dict[str, str] = {
    # -- what a voter is sent when fact-checkers dealt with their claim (the outbox) -----
    # (bot.escalation.notification_text: values are HTML already, passed in as Markup)
    "notify_answer_intro": "🔎 Our fact-checkers have checked the claim you sent us:",
    "notify_you_asked": "You asked: <i>{question}</i>",
    "notify_checked_claim": (
        "🔎 Our fact-checkers have checked this claim, which is what you asked about:"
    ),
    "notify_sources": "Sources:",
    "notify_fallback_note": (
        "(Our fact-checkers wrote this answer in {lang_name}; it is not yet available in "
        "English.)"
    ),
    "notify_answer_intro_unworded": "🔎 Our fact-checkers have checked the claim you sent us.",
    "notify_correction_intro": (
        "🔄 An update to a fact-check I showed you recently. This is what it says now:"
    ),
    "notify_correction_retracted": (
        "⚠️ A fact-check I showed you recently has been withdrawn by our fact-checkers:\n"
        "{claim}\n\nPlease don't rely on it any more. If you still want to know, ask me again "
        "and I'll tell you what is known now."
    ),
    "notify_rejected_intro": "🔎 Our fact-checkers looked at the message you sent us:",
    "notify_rejected_intro_unquoted": "🔎 Our fact-checkers looked at the message you sent us.",
    "notify_rejected_not_a_claim": (
        "It is not a claim that can be checked as true or false, so there is no verdict "
        "for it. You can ask me about elections and voting at any time."
    ),
    "notify_rejected_out_of_scope": (
        "It is outside what we check (elections and voting), so there is no verdict for "
        "it. Thank you for sending it; you can ask me about voting at any time."
    ),
    # -- /tips: checking a rumour before sharing it ----------------------------------------
    "tips": (
        "<b>Before you share it: 6 quick checks</b>\n"
        "\n"
        "1. <b>Pause.</b> Messages that make you angry or scared, or say “share before "
        "it is deleted”, are written to be forwarded without thinking.\n"
        "2. <b>Who says so?</b> Look for a named source. “A friend in the election "
        "commission” or a forward of a forward is not one.\n"
        "3. <b>Check the official source.</b> Dates, polling stations and rules come "
        "from the election commission: Thailand's ECT (ect.go.th, hotline 1444) or "
        "Malaysia's SPR (spr.gov.my, MySPR Semak).\n"
        "4. <b>Check the date and place.</b> Old photos and news from another election "
        "or another country are often shared again as new.\n"
        "5. <b>Search the picture or the exact words.</b> If reliable news outlets or "
        "fact-checkers are silent about big news, be careful.\n"
        "6. <b>Ask me.</b> Forward the message here: I show what has been checked, with "
        "sources, or pass it to human fact-checkers.\n"
        "\n"
        "Not sure? Don't share it. 🙏"
    ),
    # -- Telegram's command menu (bot.texts.COMMANDS, one description each) ---------------
    "menu_start": "Start and see what I can do",
    "menu_help": "How to use this bot",
    "menu_language": "Choose the language I reply in",
    "menu_about": "Who runs this bot",
    "menu_privacy": "What I store and why",
    "menu_tips": "How to check a rumour before sharing it",
    "menu_forget": "Delete everything I stored about you",
    # -- /start, /help, /about, /privacy -------------------------------------------------------
    "welcome": (
        "👋 Hello! I check information about elections.\n\n"
        "Send me a claim you saw (a message, a rumour, a forwarded post) or a question about "
        "voting, in Thai, Malay or English. I'll show you what has been checked, with sources. "
        "If I don't know yet, human fact-checkers will look at it and I'll message you back."
    ),
    "welcome_group": (
        "👋 Hello! I check information about elections. Mention me or reply to a message with a "
        "mention to check it. For anything else, message me privately."
    ),
    "choose_language": "Choose your language:",
    "privacy_short": "🔒 I keep your questions to answer them. /privacy explains, /forget deletes.",
    "help": (
        "<b>How I work</b>\n"
        "• Send me a claim or a question about an election, as text. Forwarded messages work too.\n"
        "• I answer with a checked verdict and its sources, or ask which check you mean.\n"
        "• If nothing matches, I pass your question to human fact-checkers and message you "
        "when they answer.\n\n"
        "<b>Commands</b>\n"
        "/language – choose the language I reply in\n"
        "/about – who runs this bot\n"
        "/privacy – what I store and why\n"
        "/tips – how to check a rumour before sharing it\n"
        "/forget – delete everything I stored about you\n"
        "/help – this message"
    ),
    "about": (
        "<b>About this bot</b>\n"
        "An open-source election fact-check assistant for Thai, Malay and English speakers. "
        "Its answers come from checks written by human fact-checkers, each with its sources. "
        "What it cannot answer goes to those fact-checkers, not to a machine guess."
    ),
    "privacy": (
        "<b>What I store and why</b>\n"
        "• Your Telegram user and chat number, so I can message you the answer later.\n"
        "• The questions you send, the language, and the answer I gave, so fact-checkers can "
        "answer new questions and see what people are asking. Fact-checkers see the question "
        "text, not your name. Other voters never see your words: if they ask about the same "
        "claim, they see it as a fact-checker wrote it.\n"
        "• Your 👍 / 🤔 feedback, to improve the answers.\n"
        "• Screenshots and links you send that go to fact-checkers: the picture (without its "
        "photo details such as location) and what I read from it or the page.\n\n"
        "Questions are deleted after {days} days. /forget deletes everything about you now."
    ),
    # -- language --------------------------------------------------------------------------------
    "language_set": "✅ I'll reply in English from now on.",
    "language_unknown": "I can reply in Thai, Malay or English. Choose one:",
    "language_auto_set": (
        "✅ I'll reply in the language you write in (Thai, Malay or English) from now on."
    ),
    "button_language_auto": "🔄 Automatic (the language you write in)",
    "lang_name_th": "Thai",
    "lang_name_ms": "Malay",
    "lang_name_en": "English",
    "region_TH": "Thailand",
    "region_MY": "Malaysia",
    "kind_claim": "checked claim",
    "kind_fact": "election information",
    # -- the verdict card ------------------------------------------------------------------------
    "verdict_true": "✅ TRUE",
    "verdict_false": "❌ FALSE",
    "verdict_misleading": "⚠️ MISLEADING",
    "verdict_partly_true": "🌓 PARTLY TRUE",
    "verdict_unproven": "❓ UNPROVEN",
    "info_label": "ℹ️ ELECTION INFORMATION",
    "card_claim": "<b>Claim checked:</b> {text}",
    "card_question": "<b>Question:</b> {text}",
    "card_language_note": "<i>(This answer is only available in {language}.)</i>",
    "card_sources": "<b>Sources:</b>",
    "card_date": "<i>Checked: {date}</i>",
    "button_helpful": "👍 Helpful",
    "button_not_what_i_asked": "🤔 Not what I asked",
    # -- did you mean ----------------------------------------------------------------------------
    "clarify_prompt": "I found a few checks that may match. Which one do you mean?",
    "clarify_more": "Here are other checks that may match. Which one do you mean?",
    "button_none": "None of these",
    "button_expired": "That button is too old. Please send your question again.",
    "choice_out_of_range": (
        "That list has no number {number}. Reply with {choices}, or tap one of the buttons "
        "under the list."
    ),
    "choice_or": " or ",
    # -- escalation ------------------------------------------------------------------------------
    "escalated_new": (
        "🕵️ I don't have a checked answer for this yet, so I've passed it to our fact-checkers. "
        "I'll message you here when they have an answer."
    ),
    "escalated_joined": (
        "🕵️ Fact-checkers are already looking into this: {askers} people have asked. "
        "I'll message you here when the answer is ready."
    ),
    "escalated_answered": (
        "✅ Fact-checkers have already answered this. I'm sending you their answer now."
    ),
    "escalated_spooled": (
        "⚠️ Something is wrong on our side right now, but your question is saved. It will reach "
        "the fact-checkers as soon as the system is back, and I'll message you the answer."
    ),
    "escalate_lost": (
        "⚠️ Sorry, something is wrong on our side and I could not save your question. "
        "Please send it again in a few minutes."
    ),
    "human_intro": "🙋 A person will read this: I'm passing your message to our fact-checkers.",
    "human_ask": (
        "🙋 Sure. Write the claim or question you want a fact-checker to look at, and I'll pass "
        "it on to them."
    ),
    # -- is your question one of the claims being checked? -----------------------------------------
    "ticket_offer_one": (
        "🕵️ I don't have a checked answer for this yet, but our fact-checkers are already "
        "checking a claim that may be the same as yours:"
    ),
    "ticket_offer_many": (
        "🕵️ I don't have a checked answer for this yet, but our fact-checkers are already "
        "checking claims that may be the same as yours:"
    ),
    "ticket_offer_question_one": (
        "Is your question about this claim? If it is, I'll message you its answer together with "
        "everyone else waiting for it."
    ),
    "ticket_offer_question_many": (
        "Is your question about one of these? If it is, I'll message you its answer together "
        "with everyone else waiting for it."
    ),
    "ticket_offer_footer": (
        "Your question is saved either way: if it is something else, or if you don't choose, "
        "it goes to the fact-checkers as you wrote it."
    ),
    "button_ticket_same": "✅ Yes, this one",
    "button_ticket_other": "➕ No, something else",
    "ticket_kept": (
        "🕵️ OK, it's a different question. I've passed it to our fact-checkers as it is, and "
        "I'll message you here when they have an answer."
    ),
    "ticket_target_closed": (
        "🕵️ The fact-checkers have closed that claim without a verdict in the meantime, so your "
        "question goes to them on its own. I'll message you here when they have an answer."
    ),
    "ticket_choice_closed": (
        "The fact-checkers have already dealt with your question, so there is nothing to "
        "change: their reply is above, or on its way to you."
    ),
    "ticket_choice_failed": (
        "⚠️ Sorry, I couldn't record your choice just now. Your question is saved and will reach "
        "the fact-checkers as you wrote it; I'll message you when they answer."
    ),
    # -- feedback --------------------------------------------------------------------------------
    "feedback_thanks": "🙏 Thanks for the feedback!",
    # -- consent and reasons (issue #15) ---------------------------------------------------------
    "escalate_consent": (
        "🕵️ Shall I send your question to our fact-checkers? A person will read what you wrote "
        "and the checks I showed you, and I'll message you here when they answer."
    ),
    "button_consent_yes": "✅ Yes, send it",
    "button_consent_no": "✖️ No, thanks",
    "escalate_declined": (
        "OK, I haven't sent it. You can write your question in other words, or send me another "
        "claim to check."
    ),
    "feedback_why": "Sorry about that. What was wrong with this answer?",
    "button_reason_other_claim": "🔀 It is about a different claim",
    "button_reason_wrong_country": "🌏 Wrong country",
    "button_reason_outdated": "📅 Out of date",
    "button_reason_other": "❓ Something else",
    "feedback_sorry": (
        "Sorry that didn't help. Tell me more about what you wanted to check, or tap "
        "“Not what I asked” under the answer."
    ),
    # -- small talk ------------------------------------------------------------------------------
    "greet": "👋 Hello! Send me a claim or a question about the election and I'll check it.",
    "thanks": "You're welcome! Send me anything else you'd like checked.",
    "goodbye": "👋 Goodbye! Remember to check before you share.",
    "bot_challenge": (
        "🤖 I'm a bot: an automated fact-check assistant. Human fact-checkers write the answers "
        "and look at what I can't answer."
    ),
    "out_of_scope": (
        "I only check information about elections. Send me a claim or a question about voting; "
        "/help shows how."
    ),
    "too_short": (
        "Could you tell me a bit more? Write the whole claim or question you want checked."
    ),
    "bare_question": (
        "Which claim do you mean? Send me the message you want checked (forward it here or "
        "paste its words) and I'll check it."
    ),
    # -- odd input -------------------------------------------------------------------------------
    "empty": "Send me a claim or a question about the election, as text.",
    "no_text": (
        "🙂 I can only read text. Send me a claim or a question about the election in words."
    ),
    "url_only": (
        "🔗 I can't open links. Please paste the text of the claim, or tell me in one sentence "
        "what the link says."
    ),
    "link_unreadable": (
        "🔗 I couldn't open that link. Please paste the text of the claim, or tell me in one "
        "sentence what the page says."
    ),
    "image_no_text": (
        "🖼️ I couldn't find any text in this picture. Send it again with a caption saying what "
        "you want checked, or type the claim."
    ),
    "image_too_big": (
        "🖼️ This image is too large for me to read. Send a screenshot of just the part you want "
        "checked, or type the claim."
    ),
    "image_unreadable": (
        "🖼️ I couldn't read this image (the file may be damaged or in a format I can't open). "
        "Send it again as a photo, or type the claim."
    ),
    "image_no_ocr": (
        "🖼️ I can't read pictures at the moment. Please type the claim, or send the picture "
        "again with a caption saying what it claims."
    ),
    "truncated": "ℹ️ Your message was very long, so I checked only its first {chars} characters.",
    "unknown_command": "I don't know that command. /help lists what I can do.",
    # -- groups ----------------------------------------------------------------------------------
    "group_unknown": (
        "I can't confirm this from the checks I have. Message me privately and I'll pass it to "
        "fact-checkers."
    ),
    "group_hint": (
        "Mention me or reply to a message with a mention to check it. For anything else, "
        "message me privately."
    ),
    "group_private_only": "Please use this in a private chat with me.",
    # -- /forget ---------------------------------------------------------------------------------
    "forget_confirm": (
        "This deletes your questions, feedback and language choice from this bot. "
        "Questions already being checked will no longer be answered to you. Continue?"
    ),
    "button_forget_yes": "🗑️ Yes, delete my data",
    "button_cancel": "Cancel",
    "forget_done": "🗑️ Done: I deleted {count} records about you.",
    "forget_cancelled": "OK, nothing was deleted.",
    "forget_failed": "⚠️ I couldn't delete your data just now. Please try /forget again later.",
    # -- limits and errors -----------------------------------------------------------------------
    "rate_limited_minute": (
        "⏳ You're sending messages faster than I can check them. Please wait a minute and "
        "send your question again."
    ),
    "rate_limited_day": (
        "⏳ You've reached today's limit of messages. Please come back tomorrow."
    ),
    "error": "⚠️ Sorry, something went wrong on my side. Please try again in a moment.",
}
