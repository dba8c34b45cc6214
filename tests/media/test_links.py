"""Reading links (bot.media.links) from a local HTTP server, and refusing what it must not read."""

from __future__ import annotations

import ipaddress

import pytest
from pages import PageServer, page, redirect, slow

from bot.media.links import (
    LinkProblem,
    LinkReader,
    find_urls,
    normalise_url,
    resolve,
    without_urls,
)

LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)
CLAIM = "Voters can cast their ballot by SMS in the coming election"


def reader(**kwargs: object) -> LinkReader:
    options: dict[str, object] = {"allowed_networks": LOOPBACK_ONLY, "timeout": 3.0}
    options.update(kwargs)
    return LinkReader(**options)  # type: ignore[arg-type]


async def test_open_graph_comes_first_then_meta_then_the_main_text() -> None:
    routes = {
        "/news": page(
            title="Site title | Example",
            og={"title": CLAIM, "description": "A message spreading on LINE says so."},
            description="plain description",
            body="<p>" + "The election commission has not announced any SMS voting. " * 3 + "</p>",
        ),
        "/plain": page(title="Only a title here", description="The meta description"),
    }
    with PageServer(routes) as server:
        news = await reader().read(server.url("/news"))
        plain = await reader().read(server.url("/plain"))
    assert news.title == CLAIM
    assert news.description == "A message spreading on LINE says so."
    assert "has not announced any SMS voting" in news.text
    assert "Home | News" not in news.text and "never read this" not in news.text
    assert news.summary().startswith(CLAIM + "\nA message spreading")
    assert plain.title == "Only a title here" and plain.description == "The meta description"


async def test_thai_pages_in_their_own_encoding_are_read() -> None:
    thai = "กกต.ประกาศเลื่อนวันเลือกตั้ง"
    with PageServer({"/th": page(title=thai, charset="tis-620")}) as server:
        found = await reader().read(server.url("/th"))
    assert found.title == thai


async def test_redirects_are_followed_and_the_canonical_url_names_the_page() -> None:
    with PageServer({}) as server:
        server.routes.update({
            "/short": redirect("/story?id=7&utm_source=line"),
            "/story?id=7&utm_source=line": page(
                title=CLAIM, canonical=server.url("/story?id=7")
            ),
        })
        found = await reader().read(server.url("/short"))
    assert found.final_url.endswith("/story?id=7&utm_source=line")
    assert found.canonical_url == f"http://127.0.0.1:{server.port}/story?id=7"


async def test_a_canonical_url_on_another_site_is_not_believed() -> None:
    with PageServer({"/x": page(title="t", og={"url": "https://checked.example/true-story"})}
                    ) as server:
        found = await reader().read(server.url("/x"))
    assert found.canonical_url == f"http://127.0.0.1:{server.port}/x"


async def test_loopback_is_refused_by_default() -> None:
    with PageServer({"/metrics": page(title="secret")}) as server:
        with pytest.raises(LinkProblem) as caught:
            await LinkReader().read(server.url("/metrics"))
        assert caught.value.reason == "blocked"
        assert server.requests == []  # refused before connecting


async def test_a_redirect_into_another_private_address_is_refused() -> None:
    with PageServer({}) as server:
        # 127.0.0.2 is this machine too (all of 127/8 is loopback), but not the allowed network
        server.routes["/go"] = redirect(server.url("/inside", host="127.0.0.2"))
        server.routes["/inside"] = page(title="internal")
        with pytest.raises(LinkProblem) as caught:
            await reader().read(server.url("/go"))
    assert caught.value.reason == "blocked"
    assert [path for path, _ in server.requests] == ["/go"]


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
     "224.0.0.1", "100.64.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::"],
)
def test_private_loopback_link_local_multicast_and_reserved_addresses_are_blocked(
    address: str,
) -> None:
    with pytest.raises(LinkProblem) as caught:
        resolve(address, 80)
    assert caught.value.reason == "blocked"


def test_a_public_address_passes_the_check() -> None:
    assert resolve("93.184.215.14", 80) == "93.184.215.14"  # a literal: no DNS needed


@pytest.mark.parametrize(
    ("url", "reason"),
    [("ftp://127.0.0.1/x", "blocked"), ("file:///etc/passwd", "blocked"),
     ("http://no-such-host.invalid/", "unreachable")],
)
async def test_other_schemes_and_unknown_hosts_are_refused(url: str, reason: str) -> None:
    with pytest.raises(LinkProblem) as caught:
        await reader().read(url)
    assert caught.value.reason == reason


async def test_a_slow_page_times_out() -> None:
    with (PageServer({"/slow": slow(page(title="late"), 3.0)}) as server,
          pytest.raises(LinkProblem) as caught):
        await reader(timeout=0.5).read(server.url("/slow"))
    assert caught.value.reason == "timeout"


async def test_a_huge_page_is_cut_but_its_head_is_still_read() -> None:
    huge = page(title=CLAIM, body="<p>" + "x" * 5_000_000 + "</p>")
    with PageServer({"/huge": huge}) as server:
        found = await reader(max_bytes=64_000).read(server.url("/huge"))
    assert found.title == CLAIM and len(found.text) <= 1500


async def test_too_many_redirects_errors_and_non_html_is_refused() -> None:
    with PageServer({"/loop": redirect("/loop"),
                     "/pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4")}) as server:
        with pytest.raises(LinkProblem) as looping:
            await reader().read(server.url("/loop"))
        with pytest.raises(LinkProblem) as pdf:
            await reader().read(server.url("/pdf"))
        with pytest.raises(LinkProblem) as missing:
            await reader().read(server.url("/missing"))
    assert looping.value.reason == "unreachable"
    assert pdf.value.reason == "not_html"
    assert missing.value.reason == "http_error"


async def test_the_host_header_names_the_host_though_the_checked_address_is_used() -> None:
    with PageServer({"/h": page(title="h")}) as server:
        await reader().read(f"http://localhost:{server.port}/h")
    assert server.requests == [("/h", f"localhost:{server.port}")]


def test_urls_are_found_in_text_and_normalised() -> None:
    text = "ดูนี่ https://news.example.com/a?b=1&utm_source=fb. และ www.example.org/x)"
    assert find_urls(text) == ["https://news.example.com/a?b=1&utm_source=fb",
                               "https://www.example.org/x"]
    assert without_urls(text) == "ดูนี่ และ"
    assert normalise_url("HTTPS://WWW.Example.com:443/a/b/?z=1&a=2&fbclid=x#top") == (
        "https://example.com/a/b?a=2&z=1"
    )
    assert normalise_url("http://example.com") == "http://example.com/"
    assert normalise_url("http://[::1]:8080/x") == "http://[::1]:8080/x"


async def test_https_connects_to_the_checked_address_and_checks_the_certificate_by_name(
    tmp_path,
) -> None:
    import shutil
    import ssl

    from pages import self_signed

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = self_signed(tmp_path, "localhost")
    trusting = ssl.create_default_context(cafile=str(cert))
    with PageServer({"/s": page(title=CLAIM)}, tls=(cert, key)) as server:
        found = await reader(verify=trusting).read(server.url("/s", host="localhost"))
        assert found.title == CLAIM  # TLS to 127.0.0.1, with SNI and the check for "localhost"
        with pytest.raises(LinkProblem) as wrong_name:  # the certificate is not for 127.0.0.1
            await reader(verify=trusting).read(server.url("/s"))
        with pytest.raises(LinkProblem) as untrusted:
            await reader().read(server.url("/s", host="localhost"))
    assert wrong_name.value.reason == untrusted.value.reason == "unreachable"
