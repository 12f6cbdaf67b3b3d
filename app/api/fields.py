"""Marshmallow fields shared by the API's schemas."""
from datetime import timezone

import marshmallow as ma


class UtcDateTime(ma.fields.DateTime):
    """Stored datetimes are naive UTC; the API says so with an explicit +00:00."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)
