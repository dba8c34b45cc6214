"""Custom Rasa components. Loaded only by the Rasa service (.rasa-venv, Python 3.10, see
scripts/rasa.sh); the bot never imports this package, since it imports Rasa itself."""
