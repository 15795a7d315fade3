"""The scheduling engine: pure Python over plain dataclasses, no ORM and no Django imports.

Services read the database, turn rows into these specs, call the engine and persist its answer.
"""
