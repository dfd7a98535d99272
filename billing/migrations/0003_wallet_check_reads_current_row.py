"""Fix the deferred wallet/ledger check: compare the wallet row as it is at commit, not as it was
at the event. A deferred row trigger's NEW is frozen at the INSERT/UPDATE that queued it, so a wallet
created and credited in one transaction (a first top-up, or any test transaction) failed at commit:
the INSERT's event still saw balance 0 while the ledger already held the top-up."""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION billing_wallet_check_balance() RETURNS trigger AS $$
DECLARE
  current_balance bigint;
  current_seq bigint;
  last_balance bigint;
  last_seq bigint;
BEGIN
  SELECT balance_cents, last_sequence INTO current_balance, current_seq FROM billing_wallet WHERE id = NEW.id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT balance_after_cents, sequence INTO last_balance, last_seq FROM billing_ledgerentry
    WHERE wallet_id = NEW.id ORDER BY sequence DESC LIMIT 1;
  IF NOT FOUND THEN
    last_balance := 0;
    last_seq := 0;
  END IF;
  IF current_balance <> last_balance OR current_seq <> last_seq THEN
    RAISE EXCEPTION 'wallet % balance % (seq %) does not match its ledger % (seq %)', NEW.id, current_balance,
      current_seq, last_balance, last_seq USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""

BACKWARD = r"""
CREATE OR REPLACE FUNCTION billing_wallet_check_balance() RETURNS trigger AS $$
DECLARE
  last_balance bigint;
  last_seq bigint;
BEGIN
  SELECT balance_after_cents, sequence INTO last_balance, last_seq FROM billing_ledgerentry
    WHERE wallet_id = NEW.id ORDER BY sequence DESC LIMIT 1;
  IF NOT FOUND THEN
    last_balance := 0;
    last_seq := 0;
  END IF;
  IF NEW.balance_cents <> last_balance OR NEW.last_sequence <> last_seq THEN
    RAISE EXCEPTION 'wallet % balance % (seq %) does not match its ledger % (seq %)', NEW.id, NEW.balance_cents,
      NEW.last_sequence, last_balance, last_seq USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_ledger_triggers")]
    operations = [migrations.RunPython(forward, backward)]
