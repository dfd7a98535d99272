"""Score every live number now (the job Celery beat runs hourly), or only the given ones."""
from django.core.management.base import BaseCommand

from ...services.health import number_health_compute


class Command(BaseCommand):
    help = "Compute the health score of live numbers, opening and resolving reputation alerts."

    def add_arguments(self, parser):
        parser.add_argument("number_ids", nargs="*", help="only these numbers (num_…); default: all live ones")
        parser.add_argument("--batch-size", type=int, help="numbers per transaction (ORBIT['HEALTH_BATCH_SIZE'])")

    def handle(self, *args, number_ids: list[str], batch_size: int | None = None, **options):
        result = number_health_compute(number_ids=number_ids or None, batch_size=batch_size)
        self.stdout.write(f"Scored {result.scored} number(s): {len(result.opened)} reputation alert(s) opened, "
                          f"{len(result.resolved)} resolved.")
