"""seed 004: a subscription's billing cycle, the kind of job a ledger entry was for, and bought credits

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # monthly | yearly (plans.json cycles): the period's length, price and credits.
    op.add_column("subscriptions", sa.Column("cycle", sa.Text, nullable=False, server_default="monthly"))
    # The job's operation (generate, remove_background, ...): the ledger's history says what a charge
    # was for, and seed 004's dailyGenerations counts the generations charged today.
    op.add_column("ledger", sa.Column("operation", sa.Text))
    op.create_index(
        "ledger_generations", "ledger", ["user_id", "created_at"], postgresql_where=sa.text("kind = 'charge' AND operation = 'generate'")
    )
    # Credits bought on their own (POST /fomi/v1/credits/purchase); job_id names the purchase, so the
    # unique (job_id, kind) index grants one purchase once whatever the retries.
    op.drop_constraint("ledger_kind_valid", "ledger", type_="check")
    op.create_check_constraint("ledger_kind_valid", "ledger", "kind IN ('grant', 'charge', 'refund', 'adjustment', 'purchase')")


def downgrade() -> None:
    op.drop_constraint("ledger_kind_valid", "ledger", type_="check")
    op.execute("UPDATE ledger SET kind = 'adjustment' WHERE kind = 'purchase'")  # the credits stay
    op.create_check_constraint("ledger_kind_valid", "ledger", "kind IN ('grant', 'charge', 'refund', 'adjustment')")
    op.drop_index("ledger_generations", "ledger")
    op.drop_column("ledger", "operation")
    op.drop_column("subscriptions", "cycle")
