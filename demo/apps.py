from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (`manage.py seed_demo`): people, places, calls, applications at every stage,
    gifts and a large data set for benchmarks. It writes through the apps' services, and its bulk
    loader posts through the ledger's one write path (fundpool.ledger.engine.post_many)."""

    name = "demo"
    verbose_name = "Demo data"
