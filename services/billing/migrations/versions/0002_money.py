"""charges know their batch (L2) and whether their job is known to exist (M4); subscriptions keep their payment method (H5)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The batch a charge belongs to (its first job's id), so a failed image is refunded at the completed count's price.
    op.add_column("ledger", sa.Column("batch", postgresql.UUID(as_uuid=False)))
    # A charge whose job the orchestrator has not confirmed yet; the reconciler refunds those whose job never came.
    op.add_column("ledger", sa.Column("settled", sa.Boolean, nullable=False, server_default=sa.true()))
    op.alter_column("ledger", "settled", server_default=sa.false())
    op.create_index(
        "ledger_unsettled", "ledger", ["created_at"], postgresql_where=sa.text("kind = 'charge' AND NOT settled")
    )
    op.create_index("ledger_batch", "ledger", ["batch"], postgresql_where=sa.text("batch IS NOT NULL"))
    op.add_column("subscriptions", sa.Column("payment_method", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("subscriptions", "payment_method")
    op.drop_index("ledger_batch", "ledger")
    op.drop_index("ledger_unsettled", "ledger")
    op.drop_column("ledger", "settled")
    op.drop_column("ledger", "batch")
