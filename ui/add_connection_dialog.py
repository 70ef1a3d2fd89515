"""The form of a new connection: an AWS named profile, or an access key whose secret goes to the OS keychain."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ui.connection_service import NewConnection

ERROR_STYLE = "color: #d1242f;"


class AddConnectionDialog(QDialog):
    submitted = Signal(object)
    """NewConnection: checked here for what the form can tell; the service checks the rest."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addConnectionDialog")
        self.setWindowTitle("Add connection")
        self.setModal(False)
        self.name = self._line("connectionName", "e.g. prod")
        self.use_profile = QRadioButton("AWS named profile", self)
        self.use_profile.setObjectName("useProfile")
        self.use_key = QRadioButton("Access key (secret kept in the OS keychain)", self)
        self.use_key.setObjectName("useAccessKey")
        group = QButtonGroup(self)
        group.addButton(self.use_profile)
        group.addButton(self.use_key)
        self.use_profile.setChecked(True)
        self.use_profile.toggled.connect(lambda _on: self._show_credentials())
        self.profile = self._line("connectionProfile", "a profile of ~/.aws/config (SSO and assume-role included)")
        self.access_key_id = self._line("connectionAccessKeyId", "AKIA…")
        self.secret = self._line("connectionSecret", "never written to a file")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.region = self._line("connectionRegion", "e.g. eu-west-1")
        self.prefix = self._line("connectionPrefix", "LISA's deploymentPrefix, e.g. /prod/lisa")
        self.endpoint = self._line("connectionEndpoint", "optional: an AWS-compatible endpoint instead of AWS")
        self.account = self._line("connectionAccount", "optional: the deployment's 12-digit AWS account id")
        self.make_default = QCheckBox("Open this connection when none is named (default)", self)
        self.make_default.setObjectName("connectionMakeDefault")
        self.keychain_note = QLabel(self)
        self.keychain_note.setObjectName("keychainNote")
        self.keychain_note.setWordWrap(True)
        self.keychain_note.hide()
        self.error = QLabel(self)
        self.error.setObjectName("addConnectionError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        how = QHBoxLayout()
        how.addWidget(self.use_profile)
        how.addWidget(self.use_key)
        how.addStretch(1)
        self.form = QFormLayout()
        self.form.addRow("Name", self.name)
        self.form.addRow("Credentials", how)
        self.form.addRow("Profile", self.profile)
        self.form.addRow("Access key id", self.access_key_id)
        self.form.addRow("Secret access key", self.secret)
        self.form.addRow("", self.keychain_note)
        self.form.addRow("Region", self.region)
        self.form.addRow("Deployment prefix", self.prefix)
        self.form.addRow("Endpoint URL", self.endpoint)
        self.form.addRow("AWS account", self.account)
        self.form.addRow("", self.make_default)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.add_button = self.buttons.addButton("Add", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setObjectName("addConnectionSubmit")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.hide)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())
        self._keychain_refusal: str | None = None
        self._show_credentials()

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        line = QLineEdit(self)
        line.setObjectName(name)
        line.setPlaceholderText(placeholder)
        return line

    def _show_credentials(self) -> None:
        profile = self.use_profile.isChecked()
        self.form.setRowVisible(self.profile, profile)
        self.form.setRowVisible(self.access_key_id, not profile)
        self.form.setRowVisible(self.secret, not profile)
        self.form.setRowVisible(self.keychain_note, not profile and self._keychain_refusal is not None)

    def set_keychain_refusal(self, refusal: str | None) -> None:
        """No OS keychain here: an access key cannot be added (a profile still can)."""
        self._keychain_refusal = refusal
        self.keychain_note.setText(refusal or "")
        self.keychain_note.setStyleSheet(ERROR_STYLE)
        self._show_credentials()

    def reset(self) -> None:
        for line in (self.name, self.profile, self.access_key_id, self.secret, self.endpoint, self.account):
            line.clear()
        self.make_default.setChecked(False)
        self.error.hide()
        self.set_busy(False)
        self.name.setFocus()

    def set_busy(self, busy: bool) -> None:
        self.add_button.setEnabled(not busy)
        self.add_button.setText("Adding…" if busy else "Add")

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def connection(self) -> NewConnection:
        profile = self.use_profile.isChecked()
        return NewConnection(
            name=self.name.text().strip(),
            region=self.region.text().strip(),
            deployment_prefix=self.prefix.text().strip(),
            profile=self.profile.text().strip() if profile else None,
            access_key_id=None if profile else self.access_key_id.text().strip(),
            secret=None if profile else self.secret.text().strip(),
            endpoint_url=self.endpoint.text().strip() or None,
            account=self.account.text().strip() or None,
            make_default=self.make_default.isChecked(),
        )

    def problems(self, connection: NewConnection) -> list[str]:
        """What the form alone can tell is missing (the service names every other rule)."""
        missing = [
            label
            for label, value in (
                ("Name", connection.name),
                ("Region", connection.region),
                ("Deployment prefix", connection.deployment_prefix),
            )
            if not value
        ]
        if self.use_profile.isChecked():
            missing += [] if connection.profile else ["Profile"]
        else:
            missing += [] if connection.access_key_id else ["Access key id"]
            missing += [] if connection.secret else ["Secret access key"]
        return [f"{label} is required" for label in missing]

    def submit(self) -> None:
        connection = self.connection()
        problems = self.problems(connection)
        if not problems and not self.use_profile.isChecked() and self._keychain_refusal:
            problems = [self._keychain_refusal]
        if problems:
            self.show_error("; ".join(problems))
            return
        self.error.hide()
        self.submitted.emit(connection)
