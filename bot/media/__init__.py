"""What voters forward besides text: screenshots, photos and links (issue #19).

`ocr` reads the text in an image (Tesseract), `image_hash` recognises the same image again,
`links` reads a page safely, `store` keeps escalated images on disk, `records` keeps their rows
(for tickets, retention and /forget), and `reader` puts these together for the conversation and
for `factcheck match`. Nothing here imports bot.core: the core calls in.
"""
