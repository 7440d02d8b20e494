"""The reuse tests' world: Alfa publishes a process (with a shareable file) to the catalogue;
Beta and Gamma read it. Shared by tests/shared_catalog/test_reuse_*.py."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import text

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def publish(app, user, process_id, anonymous: bool = False, files: bool = True, **changes):
    """Publish (or republish) the process as `user`, after applying `changes` to it."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import Tenant, activate_tenant
    from autoproces.shared_catalog import services as catalogue
    from autoproces.tenants.processes.attachments.services import attachments_for
    from autoproces.tenants.processes.policy import get_process
    from autoproces.tenants.processes.services import update_process

    with app.test_request_context():
        activate_tenant(db.session.get(Tenant, user.tenant_id))
        u = db.session.get(User, (user.tenant_id, user.id))
        process = get_process(u, process_id)
        if changes:
            process = update_process(u, process, {"version": process.version, **changes})
            process = get_process(u, process_id)
        preview = catalogue.build_preview(u, process)
        ids = {a.id for a in attachments_for(process) if a.shareable} if files else set()
        entry = catalogue.publish(
            u,
            process,
            catalogue.Choices(),
            catalogue.Publication(
                preview.fingerprint, size_band="medium", anonymous=anonymous, attachment_ids=ids
            ),
        )
        db.session.commit()
        return entry.id


def add_file(app, user, process_id, name: str, data: bytes, shareable: bool) -> None:
    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import Tenant, activate_tenant
    from autoproces.tenants.processes.attachments import services as attachments
    from autoproces.tenants.processes.policy import get_process

    with app.test_request_context():
        activate_tenant(db.session.get(Tenant, user.tenant_id))
        u = db.session.get(User, (user.tenant_id, user.id))
        attachments.add_attachments(
            u,
            get_process(u, process_id),
            [attachments.Upload(name, data)],
            shareable=shareable,
            description="Til deling" if shareable else "",
        )
        db.session.commit()


def build(app, make, anonymous: bool = False) -> SimpleNamespace:
    alpha = make.tenant("alpha", "Alfa Kommune")
    team = make.user(alpha, "automation", name="Tea Team", email="tea@alpha.dk")
    erik = make.user(alpha, "employee", name="Erik Medarbejder", email="erik@alpha.dk")
    beta = make.tenant("beta", "Beta Kommune")
    bo = make.user(beta, "employee", name="Bo Beta", email="bo@beta.dk")
    bea = make.user(beta, "automation", name="Bea Beta", email="bea@beta.dk")
    mia = make.user(beta, "manager", name="Mia Beta", email="mia@beta.dk")
    ada = make.user(beta, "tenant_admin", name="Ada Beta", email="ada@beta.dk")
    gamma = make.tenant("gamma", "Gamma Kommune")
    gitte = make.user(gamma, "automation", name="Gitte Gamma", email="gitte@gamma.dk")
    process = make.process(
        team,
        title="Kontrol af leverandørfakturaer",
        summary="Fakturaer kontrolleres automatisk mod ordren.",
        description="Vi bruger KMD Opera og en robot.",
        internal_notes="Hemmelig intern note",
        esdh_reference="SAG-2026-0042",
        org_unit="Økonomiafdelingen",
        phase="operation",
        technologies=["RPA", "OCR"],
        vendor="Robotfirmaet",
        what_worked="At starte småt.",
        occurrences_per_year=1200,
        minutes_per_occurrence=7.5,
    )
    add_file(app, team, process.id, "vejledning.pdf", PDF, shareable=True)
    add_file(app, team, process.id, "intern.txt", b"Kun til os", shareable=False)
    entry_id = publish(app, team, process.id, anonymous=anonymous)
    return SimpleNamespace(
        alpha=alpha,
        team=team,
        erik=erik,
        beta=beta,
        bo=bo,
        bea=bea,
        mia=mia,
        ada=ada,
        gamma=gamma,
        gitte=gitte,
        process=process,
        entry_id=entry_id,
        bo_token=make.token(bo),
        gitte_token=make.token(gitte),
        team_token=make.token(team),
    )


def outbox(su_engine, kind: str) -> list:
    with su_engine.connect() as conn:
        return conn.execute(
            text(
                "select tenant_id, to_address, subject, body_text from outbox_message"
                " where kind = :k order by to_address"
            ),
            {"k": kind},
        ).all()


class SmtpServer:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.messages: list = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope) -> str:
        import email
        from email import policy

        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=policy.default)
        )
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def deliver(self, app) -> int:
        from autoproces.platform.outbox.sender import SmtpConfig, run_worker

        config = SmtpConfig(
            host="127.0.0.1", port=self.port, sender="autoproces@kommune.example", timeout=5
        )
        with app.app_context():
            return run_worker(config, once=True)
