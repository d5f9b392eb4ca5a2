"""billing accounts and the append-only credit ledger

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=False)
NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "billing_accounts",
        sa.Column("user_id", UUID, primary_key=True),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("balance", sa.Integer, nullable=False),
        # The month whose plan grant has been applied (YYYY-MM).
        sa.Column("granted_period", sa.Text, nullable=False, server_default=""),
        # Images charged on quota_day, for the daily quota.
        sa.Column("quota_day", sa.Date, nullable=False, server_default=sa.func.current_date()),
        sa.Column("images_today", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("balance >= 0", name="billing_accounts_balance_not_negative"),
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", UUID, sa.ForeignKey("billing_accounts.user_id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("balance_after", sa.Integer, nullable=False),
        sa.Column("job_id", UUID),
        sa.Column("period", sa.Text),
        # Images a charge or refund was for (daily quotas count these).
        sa.Column("images", sa.Integer, nullable=False, server_default="0"),
        sa.Column("tier", sa.Text),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("kind IN ('grant', 'charge', 'refund', 'adjustment')", name="ledger_kind_valid"),
    )
    op.create_index("ledger_user_created", "ledger", ["user_id", "created_at"])
    # A job is charged once and refunded at most once; a plan grants once a period.
    op.create_index("ledger_job_kind", "ledger", ["job_id", "kind"], unique=True, postgresql_where=sa.text("job_id IS NOT NULL"))
    op.create_index(
        "ledger_grant_period", "ledger", ["user_id", "period"], unique=True, postgresql_where=sa.text("kind = 'grant'")
    )


    op.create_table(
        "subscriptions",
        sa.Column("user_id", UUID, sa.ForeignKey("billing_accounts.user_id"), primary_key=True),
        sa.Column("id", sa.Text, nullable=False, unique=True),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("payment_reference", sa.Text, nullable=False),
        sa.Column("subscribed_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'cancelled')", name="subscriptions_status_valid"),
    )


    op.create_table(
        "payments",
        sa.Column("reference", sa.Text, primary_key=True),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    # Fixed-window request counters of the edge's rate limits (shared by every replica).
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start"),
    )


def downgrade() -> None:
    op.drop_table("rate_counters")
    op.drop_table("payments")
    op.drop_table("subscriptions")
    op.drop_table("ledger")
    op.drop_table("billing_accounts")
