"""PostgreSQL rules for the ledger that no application bug can bypass.

- Ledger entries are append-only: UPDATE and DELETE raise.
- Each new entry continues its wallet's chain: sequence = previous + 1 and
  balance_after = previous balance_after + amount.
- A wallet's cached balance/last_sequence always match its last entry (checked at commit,
  deferred, because the service writes the entry and the wallet in one transaction).
SQLite (the zero-setup demo) relies on the model constraints and `check_ledger` alone.
"""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION billing_ledger_forbid_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER billing_ledger_append_only
  BEFORE UPDATE OR DELETE ON billing_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION billing_ledger_forbid_change();

CREATE OR REPLACE FUNCTION billing_ledger_check_chain() RETURNS trigger AS $$
DECLARE
  previous_balance bigint;
BEGIN
  IF NEW.sequence = 1 THEN
    previous_balance := 0;
  ELSE
    SELECT balance_after_cents INTO previous_balance FROM billing_ledgerentry
      WHERE wallet_id = NEW.wallet_id AND sequence = NEW.sequence - 1;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'ledger entry % of wallet % does not follow an existing entry', NEW.sequence, NEW.wallet_id
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  IF previous_balance + NEW.amount_cents <> NEW.balance_after_cents THEN
    RAISE EXCEPTION 'ledger entry % of wallet %: % + % <> %', NEW.sequence, NEW.wallet_id, previous_balance,
      NEW.amount_cents, NEW.balance_after_cents USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER billing_ledger_chain
  BEFORE INSERT ON billing_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION billing_ledger_check_chain();

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

CREATE CONSTRAINT TRIGGER billing_wallet_matches_ledger
  AFTER INSERT OR UPDATE ON billing_wallet
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION billing_wallet_check_balance();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS billing_wallet_matches_ledger ON billing_wallet;
DROP FUNCTION IF EXISTS billing_wallet_check_balance();
DROP TRIGGER IF EXISTS billing_ledger_chain ON billing_ledgerentry;
DROP FUNCTION IF EXISTS billing_ledger_check_chain();
DROP TRIGGER IF EXISTS billing_ledger_append_only ON billing_ledgerentry;
DROP FUNCTION IF EXISTS billing_ledger_forbid_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)  # no params: the PL/pgSQL uses % format markers


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
