"""a user's settings (seed 004): profile, preferences, password change time, TOTP two-factor

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("bio", sa.Text, nullable=False, server_default=""),
    sa.Column("website", sa.Text, nullable=False, server_default=""),
    sa.Column("theme", sa.Text, nullable=False, server_default="light"),
    sa.Column("language", sa.Text, nullable=False, server_default="en"),
    sa.Column("timezone", sa.Text, nullable=False, server_default="UTC"),
    sa.Column("notify_email", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("notify_push", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("notify_generation_complete", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("notify_training_complete", sa.Boolean, nullable=False, server_default=sa.true()),
    # NULL until the password is first changed.
    sa.Column("password_changed_at", sa.DateTime(timezone=True)),
    # The confirmed TOTP secret (two-factor on), an enrolment's secret waiting for its
    # first code, and the last time step whose code was accepted (no code twice).
    sa.Column("totp_secret", sa.Text),
    sa.Column("totp_pending_secret", sa.Text),
    sa.Column("totp_last_step", sa.BigInteger),
)


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("users", column)
    op.create_check_constraint("users_theme_valid", "users", "theme IN ('light', 'dark', 'auto')")


def downgrade() -> None:
    op.drop_constraint("users_theme_valid", "users")
    for column in reversed(COLUMNS):
        op.drop_column("users", column.name)
