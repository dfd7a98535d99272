"""Fix the deferred wallet/ledger check to read the wallet row as it is at commit.

A deferred row trigger receives NEW as it was when the event was queued. A transaction that
creates a wallet and credits it (or credits it twice) queued events whose NEW is an intermediate
version, so the check refused a perfectly consistent commit. The check now looks the wallet up
again; every queued event of that wallet then checks the final state.
"""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION billing_wallet_check_balance() RETURNS trigger AS $$
DECLARE
  wallet_balance bigint;
  wallet_seq bigint;
  last_balance bigint;
  last_seq bigint;
BEGIN
  SELECT balance_cents, last_sequence INTO wallet_balance, wallet_seq FROM billing_wallet WHERE id = NEW.id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT balance_after_cents, sequence INTO last_balance, last_seq FROM billing_ledgerentry
    WHERE wallet_id = NEW.id ORDER BY sequence DESC LIMIT 1;
  IF NOT FOUND THEN
    last_balance := 0;
    last_seq := 0;
  END IF;
  IF wallet_balance <> last_balance OR wallet_seq <> last_seq THEN
    RAISE EXCEPTION 'wallet % balance % (seq %) does not match its ledger % (seq %)', NEW.id, wallet_balance,
      wallet_seq, last_balance, last_seq USING ERRCODE = 'integrity_constraint_violation';
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
