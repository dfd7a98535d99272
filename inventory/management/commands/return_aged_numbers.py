"""Put released numbers whose aging period is over back on sale (the hourly beat job, by hand)."""
from django.core.management.base import BaseCommand

from inventory.services import aged_numbers_return


class Command(BaseCommand):
    help = "Return released numbers to inventory once their aging period is over and the carrier confirmed."

    def handle(self, *args, **options):
        self.stdout.write(f"Returned {aged_numbers_return()} aged number(s) to inventory.")
