"""Semua teks yang dilihat pengguna, dalam Bahasa Melayu (Every user-facing string in Malay).

Keys and {placeholders} must match en.py exactly (tests/bot/test_texts.py checks). Malaysian
Malay, not Indonesian: the bot answers Indonesian in Malay too.
"""

MONTHS = (
    "Januari", "Februari", "Mac", "April", "Mei", "Jun",
    "Julai", "Ogos", "September", "Oktober", "November", "Disember",
)
YEAR_OFFSET = 0
DATE_FORMAT = "{day} {month} {year}"

TEXTS: dict[str, str] = {
    # -- what a voter is sent when fact-checkers dealt with their claim (the outbox) -----
    # (bot.escalation.notification_text: values are HTML already, passed in as Markup)
    "notify_answer_intro": "🔎 Pemeriksa fakta kami telah menyemak dakwaan yang anda hantar:",
    "notify_you_asked": "Anda bertanya: <i>{question}</i>",
    "notify_checked_claim": (
        "🔎 Pemeriksa fakta kami telah menyemak dakwaan ini, iaitu perkara yang anda tanyakan:"
    ),
    "notify_sources": "Sumber:",
    "notify_fallback_note": (
        "(Pemeriksa fakta kami menulis jawapan ini dalam {lang_name}; jawapan dalam "
        "bahasa Melayu belum tersedia.)"
    ),
    "notify_answer_intro_unworded": (
        "🔎 Pemeriksa fakta kami telah menyemak dakwaan yang anda hantar."
    ),
    "notify_correction_intro": (
        "🔄 Ada kemas kini bagi semakan fakta yang saya tunjukkan kepada anda baru-baru ini. "
        "Ini kandungannya sekarang:"
    ),
    "notify_correction_retracted": (
        "⚠️ Semakan fakta yang saya tunjukkan kepada anda baru-baru ini telah ditarik balik oleh "
        "pemeriksa fakta kami:\n{claim}\n\nJangan bergantung padanya lagi. Jika anda masih "
        "mahu tahu, tanya saya sekali lagi dan saya akan beritahu maklumat terkini."
    ),
    "notify_rejected_intro": "🔎 Pemeriksa fakta kami telah melihat mesej yang anda hantar:",
    "notify_rejected_intro_unquoted": (
        "🔎 Pemeriksa fakta kami telah melihat mesej yang anda hantar."
    ),
    "notify_rejected_not_a_claim": (
        "Ia bukan dakwaan yang boleh disemak benar atau palsu, jadi tiada keputusan "
        "untuknya. Anda boleh bertanya kepada saya tentang pilihan raya pada bila-bila masa."
    ),
    "notify_rejected_out_of_scope": (
        "Ia di luar perkara yang kami semak (pilihan raya dan mengundi), jadi tiada "
        "keputusan untuknya. Terima kasih kerana menghantarnya; anda boleh bertanya "
        "kepada saya tentang mengundi pada bila-bila masa."
    ),
    # -- /tips: checking a rumour before sharing it ----------------------------------------
    "tips": (
        "<b>Sebelum kongsi: 6 semakan ringkas</b>\n"
        "\n"
        "1. <b>Berhenti sekejap.</b> Mesej yang buat anda marah atau takut, atau berkata "
        "“kongsi sebelum dipadam”, ditulis supaya diforward tanpa berfikir.\n"
        "2. <b>Siapa yang kata?</b> Cari sumber yang dinamakan. “Kawan dalam SPR” atau "
        "mesej forward daripada forward bukan sumber.\n"
        "3. <b>Semak sumber rasmi.</b> Tarikh, tempat mengundi dan peraturan datang "
        "daripada Suruhanjaya Pilihan Raya: SPR (spr.gov.my, MySPR Semak) atau ECT di "
        "Thailand (ect.go.th, talian 1444).\n"
        "4. <b>Semak tarikh dan tempat.</b> Gambar dan berita lama dari pilihan raya "
        "lain atau negara lain sering dikongsi semula seolah-olah baharu.\n"
        "5. <b>Cari gambar atau ayat yang sama.</b> Jika media yang boleh dipercayai dan "
        "pemeriksa fakta senyap tentang berita besar, berhati-hati.\n"
        "6. <b>Tanya saya.</b> Forward mesej itu ke sini: saya tunjukkan semakan yang "
        "sudah dibuat, dengan sumber, atau hantar kepada pemeriksa fakta manusia.\n"
        "\n"
        "Tidak pasti? Jangan kongsi. 🙏"
    ),
    # -- Telegram's command menu (bot.texts.COMMANDS, one description each) ---------------
    "menu_start": "Mula dan lihat apa yang saya boleh buat",
    "menu_help": "Cara menggunakan bot ini",
    "menu_language": "Pilih bahasa balasan",
    "menu_about": "Siapa yang mengendalikan bot ini",
    "menu_privacy": "Apa yang disimpan dan mengapa",
    "menu_tips": "Cara menyemak khabar angin sebelum berkongsi",
    "menu_forget": "Padam semua data anda",
    # -- /start, /help, /about, /privacy -------------------------------------------------------
    "welcome": (
        "👋 Hai! Saya menyemak maklumat tentang pilihan raya.\n\n"
        "Hantar dakwaan yang anda terima (mesej, khabar angin, hantaran yang dikongsi) atau soalan "
        "tentang mengundi, dalam bahasa Melayu, Thai atau Inggeris. Saya akan tunjukkan hasil "
        "semakan berserta sumbernya. Jika belum ada jawapan, pemeriksa fakta akan menelitinya "
        "dan saya akan hantar jawapannya kepada anda."
    ),
    "welcome_group": (
        "👋 Hai! Saya menyemak maklumat tentang pilihan raya. Tag saya atau balas mesej yang "
        "ingin disemak sambil tag saya. Untuk perkara lain, hantar mesej peribadi kepada saya."
    ),
    "choose_language": "Pilih bahasa anda:",
    "privacy_short": (
        "🔒 Saya simpan soalan anda untuk menjawabnya. Lihat /privacy, padam dengan /forget."
    ),
    "help": (
        "<b>Cara guna</b>\n"
        "• Hantar dakwaan atau soalan tentang pilihan raya dalam bentuk teks. Mesej yang dikongsi "
        "semula pun boleh.\n"
        "• Saya akan jawab dengan keputusan semakan dan sumbernya, atau tanya semakan mana yang "
        "anda maksudkan.\n"
        "• Jika tiada yang sepadan, saya hantar soalan anda kepada pemeriksa fakta dan "
        "maklumkan jawapannya kepada anda nanti.\n\n"
        "<b>Arahan</b>\n"
        "/language – pilih bahasa jawapan\n"
        "/about – tentang bot ini\n"
        "/privacy – data yang saya simpan dan sebabnya\n"
        "/tips – cara menyemak khabar angin sebelum berkongsi\n"
        "/forget – padam semua data anda\n"
        "/help – mesej ini"
    ),
    "about": (
        "<b>Tentang bot ini</b>\n"
        "Pembantu semakan fakta pilihan raya sumber terbuka untuk penutur Thai, Melayu dan "
        "Inggeris. Jawapannya datang daripada semakan yang ditulis oleh pemeriksa fakta, "
        "lengkap dengan sumber. Perkara yang tidak dapat dijawab dihantar kepada pemeriksa "
        "fakta, bukan diteka oleh mesin."
    ),
    "privacy": (
        "<b>Data yang saya simpan dan sebabnya</b>\n"
        "• Nombor pengguna dan nombor sembang Telegram anda, supaya saya boleh hantar jawapan "
        "kemudian.\n"
        "• Soalan yang anda hantar, bahasanya dan jawapan yang saya beri, supaya pemeriksa "
        "fakta dapat menjawab soalan baharu dan tahu apa yang ditanya orang. Pemeriksa fakta "
        "hanya nampak teks soalan, bukan nama anda. Pengundi lain tidak akan nampak kata-kata "
        "anda: jika mereka bertanya tentang dakwaan yang sama, mereka nampak ayat yang ditulis "
        "oleh pemeriksa fakta.\n"
        "• Maklum balas 👍 / 🤔 anda, untuk memperbaiki jawapan.\n"
        "• Tangkapan skrin dan pautan yang anda hantar kepada penyemak fakta: gambar itu (tanpa "
        "butiran foto seperti lokasi) dan teks yang saya baca daripadanya atau daripada "
        "halaman itu.\n\n"
        "Soalan dipadam selepas {days} hari. /forget memadam semua data anda serta-merta."
    ),
    # -- language --------------------------------------------------------------------------------
    "language_set": "✅ Saya akan menjawab dalam bahasa Melayu mulai sekarang.",
    "language_unknown": "Saya boleh menjawab dalam bahasa Thai, Melayu atau Inggeris. Pilih satu:",
    "language_auto_set": (
        "✅ Mulai sekarang saya akan menjawab dalam bahasa yang anda gunakan (Thai, Melayu atau "
        "Inggeris)."
    ),
    "button_language_auto": "🔄 Automatik (bahasa yang anda tulis)",
    "lang_name_th": "bahasa Thai",
    "lang_name_ms": "bahasa Melayu",
    "lang_name_en": "bahasa Inggeris",
    "region_TH": "Thailand",
    "region_MY": "Malaysia",
    "kind_claim": "dakwaan yang disemak",
    "kind_fact": "maklumat pilihan raya",
    # -- the verdict card ------------------------------------------------------------------------
    "verdict_true": "✅ BENAR",
    "verdict_false": "❌ PALSU",
    "verdict_misleading": "⚠️ MENGELIRUKAN",
    "verdict_partly_true": "🌓 SEBAHAGIANNYA BENAR",
    "verdict_unproven": "❓ BELUM DISAHKAN",
    "info_label": "ℹ️ MAKLUMAT PILIHAN RAYA",
    "card_claim": "<b>Dakwaan yang disemak:</b> {text}",
    "card_question": "<b>Soalan:</b> {text}",
    "card_language_note": "<i>(Jawapan ini hanya ada dalam {language}.)</i>",
    "card_sources": "<b>Sumber:</b>",
    "card_date": "<i>Disemak: {date}</i>",
    "button_helpful": "👍 Membantu",
    "button_not_what_i_asked": "🤔 Bukan ini soalan saya",
    # -- did you mean ----------------------------------------------------------------------------
    "clarify_prompt": "Saya jumpa beberapa semakan yang mungkin sepadan. Yang mana anda maksudkan?",
    "clarify_more": "Ini semakan lain yang mungkin sepadan. Yang mana anda maksudkan?",
    "button_none": "Tiada yang sesuai",
    "button_expired": "Butang ini sudah lama. Sila hantar soalan anda sekali lagi.",
    "choice_out_of_range": (
        "Tiada nombor {number} dalam senarai itu. Balas dengan {choices}, atau tekan salah satu "
        "butang di bawah senarai."
    ),
    "choice_or": " atau ",
    # -- escalation ------------------------------------------------------------------------------
    "escalated_new": (
        "🕵️ Belum ada jawapan yang disemak untuk perkara ini, jadi saya telah hantar kepada "
        "pemeriksa fakta kami. Saya akan maklumkan di sini apabila jawapannya sedia."
    ),
    "escalated_joined": (
        "🕵️ Pemeriksa fakta sedang menyemak perkara ini: {askers} orang telah bertanya. "
        "Saya akan maklumkan di sini apabila jawapannya sedia."
    ),
    "escalated_answered": (
        "✅ Pemeriksa fakta sudah menjawab perkara ini. Saya sedang menghantar jawapan mereka "
        "kepada anda."
    ),
    "escalated_spooled": (
        "⚠️ Sistem kami menghadapi masalah sekarang, tetapi soalan anda telah disimpan. Ia akan "
        "sampai kepada pemeriksa fakta sebaik sahaja sistem pulih, dan saya akan hantar "
        "jawapannya kepada anda."
    ),
    "escalate_lost": (
        "⚠️ Maaf, sistem kami menghadapi masalah dan soalan anda tidak dapat disimpan. "
        "Sila hantar semula dalam beberapa minit."
    ),
    "human_intro": (
        "🙋 Mesej ini akan dibaca oleh manusia: saya hantar kepada pemeriksa fakta kami."
    ),
    "human_ask": (
        "🙋 Baik. Tulis dakwaan atau soalan yang anda mahu pemeriksa fakta teliti, dan saya "
        "akan hantar kepada mereka."
    ),
    # -- adakah soalan anda salah satu dakwaan yang sedang disemak? --------------------------------
    "ticket_offer_one": (
        "🕵️ Belum ada jawapan yang disemak untuk perkara ini, tetapi pemeriksa fakta kami sedang "
        "menyemak satu dakwaan yang mungkin sama dengan soalan anda:"
    ),
    "ticket_offer_many": (
        "🕵️ Belum ada jawapan yang disemak untuk perkara ini, tetapi pemeriksa fakta kami sedang "
        "menyemak beberapa dakwaan yang mungkin sama dengan soalan anda:"
    ),
    "ticket_offer_question_one": (
        "Adakah soalan anda tentang dakwaan ini? Jika ya, saya akan hantar jawapannya kepada "
        "anda bersama semua orang lain yang sedang menunggu."
    ),
    "ticket_offer_question_many": (
        "Adakah soalan anda tentang salah satu daripada ini? Jika ya, saya akan hantar "
        "jawapannya kepada anda bersama semua orang lain yang sedang menunggu."
    ),
    "ticket_offer_footer": (
        "Soalan anda tetap disimpan: jika ia perkara lain, atau anda tidak memilih, ia akan "
        "dihantar kepada pemeriksa fakta seperti yang anda tulis."
    ),
    "button_ticket_same": "✅ Ya, yang ini",
    "button_ticket_other": "➕ Tidak, perkara lain",
    "ticket_kept": (
        "🕵️ Baik, ini soalan yang berlainan. Saya telah hantar kepada pemeriksa fakta kami "
        "seperti yang anda tulis, dan akan maklumkan di sini apabila jawapannya sedia."
    ),
    "ticket_target_closed": (
        "🕵️ Sementara itu, pemeriksa fakta telah menutup dakwaan tersebut tanpa keputusan, jadi "
        "soalan anda dihantar kepada mereka sebagai soalan baharu. Saya akan maklumkan di sini "
        "apabila jawapannya sedia."
    ),
    "ticket_choice_closed": (
        "Pemeriksa fakta sudah pun menguruskan soalan anda, jadi tiada apa-apa yang perlu "
        "diubah: jawapan mereka ada di atas, atau sedang dihantar kepada anda."
    ),
    "ticket_choice_failed": (
        "⚠️ Maaf, saya tidak dapat merekodkan pilihan anda sekarang. Soalan anda sudah disimpan "
        "dan akan sampai kepada pemeriksa fakta seperti yang anda tulis; saya akan maklumkan "
        "apabila ada jawapan."
    ),
    # -- feedback --------------------------------------------------------------------------------
    "feedback_thanks": "🙏 Terima kasih atas maklum balas anda!",
    # -- consent and reasons (issue #15) ---------------------------------------------------------
    "escalate_consent": (
        "🕵️ Mahu saya hantar soalan anda kepada pemeriksa fakta kami? Seorang manusia akan membaca "
        "apa yang anda tulis dan semakan yang saya tunjukkan, dan saya akan memaklumkan anda di "
        "sini apabila mereka menjawab."
    ),
    "button_consent_yes": "✅ Ya, hantar",
    "button_consent_no": "✖️ Tidak, terima kasih",
    "escalate_declined": (
        "Baik, saya tidak menghantarnya. Anda boleh menulis soalan anda dengan perkataan lain, "
        "atau hantar dakwaan lain untuk disemak."
    ),
    "feedback_why": "Maaf. Apa yang tidak kena dengan jawapan ini?",
    "button_reason_other_claim": "🔀 Ia tentang dakwaan lain",
    "button_reason_wrong_country": "🌏 Negara yang salah",
    "button_reason_outdated": "📅 Sudah lapuk",
    "button_reason_other": "❓ Sebab lain",
    "feedback_sorry": (
        "Maaf, jawapan itu tidak membantu. Ceritakan lagi apa yang anda mahu semak, atau tekan "
        "“Bukan ini soalan saya” di bawah jawapan."
    ),
    # -- small talk ------------------------------------------------------------------------------
    "greet": "👋 Hai! Hantar dakwaan atau soalan tentang pilihan raya dan saya akan menyemaknya.",
    "thanks": "Sama-sama! Hantar lagi jika ada perkara lain yang mahu disemak.",
    "goodbye": "👋 Jumpa lagi! Semak dahulu sebelum berkongsi.",
    "bot_challenge": (
        "🤖 Saya bot: pembantu semakan fakta automatik. Jawapan ditulis oleh pemeriksa fakta, "
        "dan mereka juga meneliti perkara yang tidak dapat saya jawab."
    ),
    "out_of_scope": (
        "Saya hanya menyemak maklumat tentang pilihan raya. Hantar dakwaan atau soalan tentang "
        "mengundi; /help menunjukkan caranya."
    ),
    "too_short": "Boleh terangkan sedikit lagi? Tulis dakwaan atau soalan yang anda mahu disemak.",
    "bare_question": (
        "Dakwaan yang mana? Hantar mesej yang anda mahu disemak (majukan ke sini atau tampal "
        "teksnya) dan saya akan menyemaknya."
    ),
    # -- odd input -------------------------------------------------------------------------------
    "empty": "Hantar dakwaan atau soalan tentang pilihan raya dalam bentuk teks.",
    "no_text": "🙂 Saya hanya boleh membaca teks. Tulis dakwaan atau soalan tentang pilihan raya.",
    "url_only": (
        "🔗 Saya tidak dapat membuka pautan. Sila tampal teks dakwaan itu, atau terangkan dalam "
        "satu ayat apa kandungan pautan tersebut."
    ),
    "link_unreadable": (
        "🔗 Saya tidak dapat membuka pautan itu. Sila tampal teks dakwaan itu, atau terangkan "
        "dalam satu ayat apa kandungan halaman tersebut."
    ),
    "image_no_text": (
        "🖼️ Saya tidak menemui sebarang teks dalam gambar ini. Hantar semula dengan kapsyen "
        "tentang apa yang anda mahu disemak, atau taip dakwaan itu."
    ),
    "image_too_big": (
        "🖼️ Gambar ini terlalu besar untuk saya baca. Hantar tangkapan skrin bahagian yang anda "
        "mahu disemak sahaja, atau taip dakwaan itu."
    ),
    "image_unreadable": (
        "🖼️ Saya tidak dapat membaca gambar ini (fail mungkin rosak atau dalam format yang saya "
        "tidak dapat buka). Hantar semula sebagai foto, atau taip dakwaan itu."
    ),
    "image_no_ocr": (
        "🖼️ Saya tidak dapat membaca gambar buat masa ini. Sila taip dakwaan itu, atau hantar "
        "semula gambar dengan kapsyen tentang apa yang didakwanya."
    ),
    "truncated": "ℹ️ Mesej anda sangat panjang, jadi saya hanya menyemak {chars} aksara pertama.",
    "unknown_command": "Saya tidak kenal arahan itu. /help menyenaraikan apa yang boleh saya buat.",
    # -- groups ----------------------------------------------------------------------------------
    "group_unknown": (
        "Saya tidak dapat mengesahkan perkara ini daripada semakan yang ada. Hantar mesej "
        "peribadi kepada saya dan saya akan serahkan kepada pemeriksa fakta."
    ),
    "group_hint": (
        "Tag saya atau balas mesej yang ingin disemak sambil tag saya. Untuk perkara lain, "
        "hantar mesej peribadi kepada saya."
    ),
    "group_private_only": "Sila gunakan ini dalam sembang peribadi dengan saya.",
    # -- /forget ---------------------------------------------------------------------------------
    "forget_confirm": (
        "Ini akan memadam soalan, maklum balas dan pilihan bahasa anda daripada bot ini. "
        "Soalan yang sedang disemak tidak akan dijawab kepada anda lagi. Teruskan?"
    ),
    "button_forget_yes": "🗑️ Ya, padam data saya",
    "button_cancel": "Batal",
    "forget_done": "🗑️ Selesai: saya telah memadam {count} rekod tentang anda.",
    "forget_cancelled": "Baik, tiada apa yang dipadam.",
    "forget_failed": "⚠️ Data anda tidak dapat dipadam sekarang. Sila cuba /forget lagi nanti.",
    # -- limits and errors -----------------------------------------------------------------------
    "rate_limited_minute": (
        "⏳ Anda menghantar mesej lebih cepat daripada yang dapat saya semak. Sila tunggu seminit "
        "dan hantar soalan anda semula."
    ),
    "rate_limited_day": "⏳ Anda telah mencapai had mesej hari ini. Sila kembali esok.",
    "error": "⚠️ Maaf, berlaku masalah di pihak kami. Sila cuba lagi sebentar lagi.",
}
