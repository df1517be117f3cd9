"""Dependencies shared by every router: the database and the settings, from the app's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.db.engine import Database
from app.settings import Settings


# Plain `async def`: FastAPI runs a sync dependency in a thread pool, a hop per request.
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
