"""Many enrolled learners at once, written straight into the tables (the API would take minutes
for ten thousand): for the large-report test and the benchmark."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert

from vilt.storage.db import Database
from vilt.storage.models import Enrollment, User, UserEmail


async def seed_enrolled_learners(
    db: Database, account_id: uuid.UUID, session_id: uuid.UUID, count: int, now: datetime, *, registered: bool
) -> list[str]:
    """``count`` learners enrolled in the session; with ``registered`` each has a Zoom registrant id
    ``reg<n>`` and personal URL. Returns their emails, in order."""
    emails = [f"learner{n}@example.com" for n in range(count)]
    users = [uuid.uuid4() for _ in range(count)]
    async with db.transaction() as tx:
        await tx.execute(
            insert(User),
            [
                {
                    "id": users[n],
                    "account_id": account_id,
                    "email": emails[n],
                    "email_normalized": emails[n],
                    "display_name": f"Learner {n}",
                    "name_key": f"learner {n}",
                    "time_zone": "UTC",
                    "locale": "en",
                    "roles": ["learner"],
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        )
        await tx.execute(
            insert(UserEmail),
            [
                {
                    "id": uuid.uuid4(),
                    "account_id": account_id,
                    "user_id": users[n],
                    "email_normalized": emails[n],
                    "is_primary": True,
                }
                for n in range(count)
            ],
        )
        await tx.execute(
            insert(Enrollment),
            [
                {
                    "id": uuid.uuid4(),
                    "account_id": account_id,
                    "session_id": session_id,
                    "user_id": users[n],
                    "status": "registered",
                    "position": n + 1,
                    "identity": f"v{n:015}",
                    "registrant_id": f"reg{n}" if registered else None,
                    "join_url": f"https://zoom.example/w/1?tk={n}" if registered else None,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        )
    return emails
