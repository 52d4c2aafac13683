"""Customer notes: a small HTML allow-list, safe links, a length limit."""

import pytest
from django.core.exceptions import ValidationError

from core.sanitize import sanitize_note

REL = 'rel="nofollow noopener noreferrer"'


def test_a_script_is_removed_with_its_content():
    assert sanitize_note("<p>Hello</p><script>alert('x')</script>") == "<p>Hello</p>"


def test_a_style_block_is_removed_with_its_content():
    assert sanitize_note("<style>body { display: none }</style>Hello") == "Hello"


def test_a_script_hidden_in_svg_is_removed_with_its_content():
    assert sanitize_note("<svg><script>alert(1)</script></svg>Hello") == "Hello"


def test_event_handler_attributes_are_removed():
    assert sanitize_note('<p onclick="steal()" style="color: red">Hi</p>') == "<p>Hi</p>"


def test_an_image_with_an_onerror_handler_is_removed():
    assert sanitize_note('Hi <img src="x" onerror="alert(1)">') == "Hi"


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java&#09;script:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "/admin/",
        "//evil.example/",
    ],
)
def test_a_link_that_is_not_absolute_http_https_or_mailto_loses_its_href(href):
    cleaned = sanitize_note(f'<a href="{href}">click</a>')
    assert "href" not in cleaned
    assert cleaned == f"<a {REL}>click</a>"


@pytest.mark.parametrize(
    "href", ["https://example.com/menu", "http://example.com/", "mailto:ada@example.com"]
)
def test_http_https_and_mailto_links_are_kept_with_rel_added(href):
    assert sanitize_note(f'<a href="{href}">link</a>') == f'<a href="{href}" {REL}>link</a>'


def test_a_links_own_rel_and_target_are_replaced():
    cleaned = sanitize_note('<a href="https://example.com" rel="opener" target="_blank">x</a>')
    assert cleaned == f'<a href="https://example.com" {REL}>x</a>'


@pytest.mark.parametrize(
    "html",
    [
        "<p>text</p>",
        "line<br>break",
        "<strong>text</strong>",
        "<b>text</b>",
        "<em>text</em>",
        "<i>text</i>",
        "<u>text</u>",
        "<ul><li>one</li><li>two</li></ul>",
        "<ol><li>one</li></ol>",
        "<blockquote>quoted</blockquote>",
    ],
)
def test_allowed_tags_are_kept(html):
    assert sanitize_note(html) == html


def test_other_tags_are_removed_but_their_text_is_kept():
    html = (
        '<div class="x"><h1>Title</h1><span>Body</span><table><tr><td>cell</td></tr></table></div>'
    )
    assert sanitize_note(html) == "TitleBodycell"


def test_comments_are_removed():
    assert sanitize_note("Hi<!-- [if IE]><script>x</script><![endif] -->!") == "Hi!"


def test_nul_characters_are_removed():
    assert sanitize_note("Hel\x00lo <b>wor\x00ld</b>") == "Hello <b>world</b>"


def test_nul_characters_are_removed_before_parsing_so_a_link_survives_them():
    cleaned = sanitize_note('<a href="https://ex\x00ample.com">menu</a>')
    assert cleaned == f'<a href="https://example.com" {REL}>menu</a>'


def test_plain_text_keeps_its_newlines_and_is_stripped():
    assert sanitize_note("  Dear team,\n\nwe need a projector.\n  ") == (
        "Dear team,\n\nwe need a projector."
    )


def test_plain_text_special_characters_come_back_escaped_as_html():
    assert sanitize_note("Fish & chips for <10 people") == "Fish &amp; chips for &lt;10 people"


def test_an_empty_note_stays_empty():
    assert sanitize_note("   ") == ""


def test_a_note_of_exactly_the_limit_is_accepted():
    assert sanitize_note("x" * 5000) == "x" * 5000


def test_a_note_over_the_limit_is_refused_on_the_request_note_field():
    with pytest.raises(ValidationError) as refused:
        sanitize_note("x" * 5001)
    assert list(refused.value.message_dict) == ["request_note"]
    assert "5000" in refused.value.message_dict["request_note"][0]


def test_the_limit_can_be_set_by_the_caller():
    assert sanitize_note("x" * 10, max_length=10) == "x" * 10
    with pytest.raises(ValidationError, match="10 characters"):
        sanitize_note("x" * 11, max_length=10)


def test_the_limit_counts_the_input_before_tags_are_removed():
    with pytest.raises(ValidationError):
        sanitize_note("<b></b>" * 2, max_length=10)


def test_a_note_that_is_not_text_is_refused():
    with pytest.raises(ValidationError) as refused:
        sanitize_note(["<b>x</b>"])
    assert "request_note" in refused.value.message_dict
