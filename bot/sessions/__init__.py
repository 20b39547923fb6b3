"""Where each chat's state lives in Redis: its session and inbox (store), the work stream the web
processes read (journal), its queue of replies (replies), the short locks kept alive (leases),
the Lua that makes each step atomic (scripts), the key layout (keys), and batching (pipeline)."""

from bot.sessions.keys import open_redis, redis_key
from bot.sessions.store import KEEP, Claim, Item, LoadResult, LockLost, SessionStore

__all__ = [
    "KEEP",
    "Claim",
    "Item",
    "LoadResult",
    "LockLost",
    "SessionStore",
    "open_redis",
    "redis_key",
]
