"""Patient reminder emails: an outbox of rows planned by the booking and visit services, delivered by Celery."""
