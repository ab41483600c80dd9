"""No password ever leaves pgmanager."""

from __future__ import annotations

import pytest

from pgmanager.db import describe, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://bob:s3cr3t@db.example:5432/app", "postgresql://bob:***@db.example:5432/app"),
        ("postgres://bob:p%40ss@h/app?sslmode=require", "postgres://bob:***@h/app?sslmode=require"),
        ("host=h user=bob password=s3cr3t dbname=app", "host=h user=bob password=*** dbname=app"),
        ("host=h password='s3 cr3t' dbname=app", "host=h password=*** dbname=app"),
        ("postgresql://bob@h/app", "postgresql://bob@h/app"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_describe_has_no_user_or_password() -> None:
    assert describe("postgresql://bob:s3cr3t@db.example:6543/app") == "db.example:6543/app"
