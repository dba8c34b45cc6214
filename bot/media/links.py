"""Reading what a link a voter forwards says: its title, description and main text.

Voters forward links to posts and articles; the claim is on the page. The bot reads the page's
Open Graph and HTML meta tags first (what a chat app's link preview shows, and what the author
chose as the summary), then its main text, and matches that with what the voter wrote around it.

Fetching on a voter's behalf is a classic server-side request forgery: a link to
http://127.0.0.1:8080/metrics or http://169.254.169.254/ would have the bot read its own
network. So every hop (the link and each redirect, followed by hand, at most MAX_REDIRECTS) is
resolved first and refused when any address is private, loopback, link-local, multicast,
reserved or unspecified, and the connection then goes to the address that was checked (the host
name is kept for the Host header and TLS), so a DNS answer that changes between the check and the
connection cannot send it elsewhere. Only http and https, a short timeout, at most MAX_BYTES read,
HTML only. `allow_private=True` lifts the address check, `allowed_networks` lifts it for a few
networks (the tests serve pages from 127.0.0.1 and check that 127.0.0.2 is still refused).

The canonical URL (og:url, else <link rel=canonical>, else the final URL; normalised: lower-case
host, no default port, no fragment, no tracking parameters, sorted query) identifies the page, so
the same article shared with different tracking tails finds the same ticket.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

TIMEOUT_SECONDS = 5.0
MAX_BYTES = 1_000_000
MAX_REDIRECTS = 4
MAIN_TEXT_CHARS = 1500
USER_AGENT = "election-factcheck-bot/0.1 (+link preview)"
#: Links looked for in a message (the first one is read).
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_TRACKING = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|igshid|igsh|si|mc_[a-z]+|ref_src|ref_url)$"
)


class LinkProblem(Exception):
    """A link that was not read; `reason`: "blocked" (a private or local address, or not
    http(s)), "unreachable", "timeout", "too_big", "not_html" or "http_error"."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Page:
    url: str  # the link as the voter sent it
    final_url: str  # where the redirects ended
    canonical_url: str
    title: str
    description: str
    text: str  # the main text, cut to MAIN_TEXT_CHARS

    def summary(self) -> str:
        """What was read, for matching and for checkers: title, description, start of text."""
        parts: list[str] = []
        for part in (self.title, self.description, self.text):
            part = part.strip()
            if part and not any(part in seen for seen in parts):
                parts.append(part)
        return "\n".join(parts)


def find_urls(text: str) -> list[str]:
    """The links in `text`, in order, without trailing punctuation; "www." gets "https://"."""
    found = []
    for match in URL.finditer(text or ""):
        url = match.group(0).rstrip(".,;:!?)]}»”’")
        if url.lower().startswith("www."):
            url = "https://" + url
        found.append(url)
    return found


def without_urls(text: str) -> str:
    return " ".join(URL.sub(" ", text or "").split())


def normalise_url(url: str) -> str:
    """`url` in one spelling for all its copies (see the module doc)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        netloc += f":{port}"
    query = urlencode(sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(k.lower())
    ))
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((scheme, netloc, path, query, ""))


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    )


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def resolve(
    host: str, port: int, *, allow_private: bool = False, allowed: tuple[Network, ...] = ()
) -> str:
    """An address of `host` to connect to, after checking all of them (LinkProblem if any is
    private, loopback, link-local, multicast or reserved, unless `allow_private`, or unless it
    lies in one of the `allowed` networks)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise LinkProblem("unreachable", f"cannot resolve {host}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise LinkProblem("unreachable", f"no address for {host}")
    if not allow_private:
        for address in addresses:
            if _blocked(address) and not any(
                ipaddress.ip_address(address) in network for network in allowed
            ):
                raise LinkProblem("blocked", f"{host} is at {address}, not a public address")
    return addresses[0]


class LinkReader:
    """Fetches pages as described in the module doc. `read` is async; it never raises anything
    but LinkProblem."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed_networks: tuple[Network, ...] = (),
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.allow_private = allow_private
        self.allowed_networks = allowed_networks
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._transport = transport
        self._verify = verify  # certificates are checked against the link's host name

    async def read(self, url: str) -> Page:
        try:
            return await asyncio.wait_for(self._read(url), self.timeout)
        except TimeoutError as exc:
            raise LinkProblem("timeout", f"over {self.timeout:g} s") from exc
        except LinkProblem:
            raise
        except httpx.TimeoutException as exc:
            raise LinkProblem("timeout", str(exc)) from exc
        except (httpx.HTTPError, OSError, ValueError) as exc:
            raise LinkProblem("unreachable", str(exc) or type(exc).__name__) from exc

    async def _read(self, url: str) -> Page:
        current = url
        async with httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=False, transport=self._transport,
            verify=self._verify,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml"},
            trust_env=False,
        ) as client:
            for _ in range(self.max_redirects + 1):
                response, body = await self._get(client, current)
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise LinkProblem("http_error", f"redirect without a location: {current}")
                    current = urljoin(current, location)
                    continue
                if response.status_code >= 400:
                    raise LinkProblem("http_error", f"HTTP {response.status_code}")
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if kind not in ("text/html", "application/xhtml+xml", ""):
                    raise LinkProblem("not_html", kind)
                html = body.decode(_charset(response, body), "replace")
                return _page(url, current, html)
        raise LinkProblem("unreachable", f"more than {self.max_redirects} redirects")

    async def _get(self, client: httpx.AsyncClient, url: str) -> tuple[httpx.Response, bytes]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LinkProblem("blocked", f"not an http(s) link: {url[:100]}")
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = await asyncio.to_thread(
            resolve, host, port, allow_private=self.allow_private, allowed=self.allowed_networks
        )
        # Connect to the address that was checked; the host name goes in Host and in TLS.
        pinned_host = f"[{address}]" if ":" in address else address
        pinned = urlunsplit(
            (parts.scheme, f"{pinned_host}:{port}", parts.path or "/", parts.query, "")
        )
        host_header = parts.netloc.rsplit("@", 1)[-1]
        request = client.build_request(
            "GET", pinned, headers={"Host": host_header},
            extensions={"sni_hostname": host} if parts.scheme == "https" else {},
        )
        response = await client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            if not response.is_redirect and response.status_code < 400:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        # The head of a big page still has its title and meta tags.
                        chunks.append(chunk[: max(0, self.max_bytes - (size - len(chunk)))])
                        break
                    chunks.append(chunk)
            return response, b"".join(chunks)
        finally:
            await response.aclose()


def _charset(response: httpx.Response, body: bytes) -> str:
    declared = response.charset_encoding
    if not declared:
        found = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", body[:4096], re.IGNORECASE)
        declared = found.group(1).decode("ascii") if found else "utf-8"
    try:
        "".encode(declared)
    except LookupError:
        return "utf-8"
    return declared


class _PageParser(HTMLParser):
    """Title, meta tags, canonical link and the text of paragraphs and headings."""

    SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg",
            "template", "button", "select"}
    BLOCKS = {"p", "h1", "h2", "h3", "li", "blockquote", "article", "td", "div", "br"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.canonical = ""
        self.title_parts: list[str] = []
        self.text_parts: list[str] = []
        self._skip = 0
        self._in_title = False
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key and key not in self.meta and values.get("content"):
                self.meta[key] = values["content"]
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.canonical = self.canonical or values.get("href", "")
        elif tag == "title":
            self._in_title = True
        elif tag == "body":
            self._in_body = True
        if tag in self.SKIP:
            self._skip += 1
        if tag in self.BLOCKS:
            self.text_parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag in self.BLOCKS:
            self.text_parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip and (self._in_body or not self.title_parts):
            self.text_parts.append(data)


def _page(url: str, final_url: str, html: str) -> Page:
    parser = _PageParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; a broken page yields less, not an error
        pass
    meta = parser.meta

    def first(*keys: str) -> str:
        for key in keys:
            value = " ".join(unescape(meta.get(key, "")).split())
            if value:
                return value
        return ""

    title = first("og:title", "twitter:title") or " ".join("".join(parser.title_parts).split())
    description = first("og:description", "description", "twitter:description")
    lines = [" ".join(line.split()) for line in "".join(parser.text_parts).split("\n")]
    # Main text: the lines that read like sentences, not menus and buttons.
    text = "\n".join(line for line in lines if len(line) >= 25)[:MAIN_TEXT_CHARS]
    # A page may name its canonical URL only on its own site: another site's URL would let any
    # page borrow the verdict given to a page that was checked.
    canonical = final_url
    home = _site(final_url)
    for candidate in (meta.get("og:url", ""), parser.canonical):
        absolute = urljoin(final_url, candidate.strip()) if candidate.strip() else ""
        if absolute and urlsplit(absolute).scheme in ("http", "https") and _site(absolute) == home:
            canonical = absolute
            break
    return Page(
        url=url, final_url=final_url, canonical_url=normalise_url(canonical),
        title=title[:300], description=description[:1000], text=text,
    )
