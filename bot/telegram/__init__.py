"""The Telegram channel: Telegram updates → core `Incoming`, core `Reply` → Telegram messages.

`app` builds and runs the python-telegram-bot Application, `updates` reads updates, `replies`
sends replies, `handlers` connects the two through the core's conversation. Nothing outside this
package imports python-telegram-bot.
"""
