"""Webhook URL checks and retry delays, without the service."""

import pytest

from palermo_notify.domain.webhooks import retry_delay, webhook_url_problem

ALLOWED = ["127.0.0.1", "localhost"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://localhost/hook?token=abc",
        "http://LOCALHOST:9000/",
    ],
)
def test_url_allowed(url):
    assert webhook_url_problem(url, ALLOWED) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://127.0.0.1/hook", "scheme 'ftp'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("127.0.0.1/hook", "scheme ''"),
        ("http:///hook", "no host name"),
        ("http://10.0.0.7/hook", "host '10.0.0.7' is not allowed"),
        ("http://169.254.169.254/latest", "host '169.254.169.254' is not allowed"),
        ("http://127.0.0.1.example.org/", "is not allowed"),
        ("http://user:secret@127.0.0.1/hook", "contains credentials"),
        ("http://127.0.0.1:99999/hook", "invalid URL"),
        ("http://127.0.0.1:0/hook", "port 0"),
        ("http://127.0.0.1/\x00nul", "contains '\\x00'"),
        ("http://127.0.0.1/hook\r\nX-Injected: 1", "contains '\\r'"),
        ("http://127.0.0.1/a hook", "contains ' '"),
        ("http://127.0.0.1/\x7f", "contains '\\x7f'"),
    ],
)
def test_url_rejected(url, expected):
    problem = webhook_url_problem(url, ALLOWED)

    assert problem is not None
    assert expected in problem


def test_retry_delay_doubles():
    delays = [retry_delay(n, base=0.5, cap=300) for n in range(1, 5)]

    assert delays == [0.5, 1.0, 2.0, 4.0]


def test_retry_delay_capped():
    assert retry_delay(40, base=0.5, cap=300) == 300
