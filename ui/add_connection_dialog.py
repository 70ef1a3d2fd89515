"""The form of a new connection: an AWS named profile, an access key whose secret goes to the OS keychain, or no AWS
credentials at all; and LISA's API (team mode), its token kept in the OS keychain."""

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
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ui.connection_service import NewConnection

ERROR_STYLE = "color: #d1242f;"
API_HINT = (
    "Team mode: changes go through LISA's REST API and are run by LISA's state machines, as LISA's admin group "
    "allows. Optional with AWS credentials (which still read the live ECS and Auto Scaling facts); required without."
)
READ_URL = "Read from deployment"


class AddConnectionDialog(QDialog):
    submitted = Signal(object)
    """NewConnection: checked here for what the form can tell; the service checks the rest."""
    read_url_requested = Signal(object)
    """NewConnection: read LISA's API URL from the deployment (SSM) with its credentials, off the GUI thread."""

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
        self.use_api_only = QRadioButton("None: LISA's API only", self)
        self.use_api_only.setObjectName("useApiOnly")
        self.use_api_only.setToolTip("No AWS credentials: the models are read and changed through LISA's API alone")
        group = QButtonGroup(self)
        group.addButton(self.use_profile)
        group.addButton(self.use_key)
        group.addButton(self.use_api_only)
        self.use_profile.setChecked(True)
        group.buttonToggled.connect(lambda _button, _on: self._show_credentials())
        self.profile = self._line("connectionProfile", "a profile of ~/.aws/config (SSO and assume-role included)")
        self.access_key_id = self._line("connectionAccessKeyId", "AKIA…")
        self.secret = self._line("connectionSecret", "never written to a file")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.region = self._line("connectionRegion", "e.g. eu-west-1")
        self.prefix = self._line("connectionPrefix", "LISA's deploymentPrefix, e.g. /prod/lisa")
        self.endpoint = self._line("connectionEndpoint", "optional: an AWS-compatible endpoint instead of AWS")
        self.account = self._line("connectionAccount", "optional: the deployment's 12-digit AWS account id")
        self.api_title = QLabel("<b>LISA API</b>", self)
        self.api_hint = QLabel(API_HINT, self)
        self.api_hint.setObjectName("lisaApiHint")
        self.api_hint.setWordWrap(True)
        self.api_url = self._line("connectionLisaApiUrl", "https://ID.execute-api.REGION.amazonaws.com/STAGE")
        self.read_url = QPushButton(READ_URL, self)
        self.read_url.setObjectName("readLisaApiUrl")
        self.read_url.setAutoDefault(False)
        self.read_url.setToolTip("Read <deployment prefix>/LisaApiUrl from SSM with the credentials above")
        self.read_url.clicked.connect(self._read_url)
        self.api_token = self._line("connectionLisaApiToken", "a LISA API token, or the management key")
        self.api_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_token.setToolTip("Kept in the OS keychain, never in a file")
        self.api_note = QLabel(self)
        self.api_note.setObjectName("lisaApiNote")
        self.api_note.setWordWrap(True)
        self.api_note.hide()
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
        how.addWidget(self.use_api_only)
        how.addStretch(1)
        url_row = QHBoxLayout()
        url_row.addWidget(self.api_url, 1)
        url_row.addWidget(self.read_url)
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
        self.form.addRow(self.api_title)
        self.form.addRow(self.api_hint)
        self.form.addRow("LISA API URL", url_row)
        self.form.addRow("LISA API token", self.api_token)
        self.form.addRow("", self.api_note)
        self.form.addRow("", self.make_default)
        for line, label in ((self.api_url, "LISA API &URL"), (self.api_token, "LISA API &token")):
            buddy = self.form.labelForField(line if line is self.api_token else url_row)
            if isinstance(buddy, QLabel):
                buddy.setText(label)
                buddy.setBuddy(line)
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
        key = self.use_key.isChecked()
        aws = not self.use_api_only.isChecked()
        self.form.setRowVisible(self.profile, profile)
        self.form.setRowVisible(self.access_key_id, key)
        self.form.setRowVisible(self.secret, key)
        self.form.setRowVisible(self.keychain_note, not profile and self._keychain_refusal is not None)
        self.form.setRowVisible(self.endpoint, aws)
        self.form.setRowVisible(self.account, aws)
        self.read_url.setEnabled(aws)
        self.read_url.setToolTip(
            "Read <deployment prefix>/LisaApiUrl from SSM with the credentials above"
            if aws
            else "Needs AWS credentials: type the URL (LISA's UI shows it)"
        )

    def set_keychain_refusal(self, refusal: str | None) -> None:
        """No OS keychain here: an access key cannot be added (a profile still can)."""
        self._keychain_refusal = refusal
        self.keychain_note.setText(refusal or "")
        self.keychain_note.setStyleSheet(ERROR_STYLE)
        self._show_credentials()

    def reset(self) -> None:
        for line in (
            self.name,
            self.profile,
            self.access_key_id,
            self.secret,
            self.endpoint,
            self.account,
            self.api_url,
            self.api_token,
        ):
            line.clear()
        self.api_note.hide()
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

    def _read_url(self) -> None:
        self.read_url.setEnabled(False)
        self.read_url.setText("Reading…")
        self._show_api_note(f"Reading {self.prefix.text().strip() or '<deployment prefix>'}/LisaApiUrl…")
        self.read_url_requested.emit(self.connection())

    def set_api_url(self, url: str) -> None:
        """The URL the deployment publishes, read for the form."""
        self.api_url.setText(url)
        self._url_read(f"Read from the deployment: {url}")

    def show_api_url_error(self, message: str) -> None:
        self._url_read(f"Could not read LISA's API URL: {message}", error=True)

    def _url_read(self, note: str, *, error: bool = False) -> None:
        self.read_url.setText(READ_URL)
        self.read_url.setEnabled(not self.use_api_only.isChecked())
        self._show_api_note(note, error=error)

    def _show_api_note(self, text: str, *, error: bool = False) -> None:
        self.api_note.setText(text)
        self.api_note.setStyleSheet(ERROR_STYLE if error else "")
        self.api_note.show()

    def connection(self) -> NewConnection:
        profile = self.use_profile.isChecked()
        key = self.use_key.isChecked()
        aws = not self.use_api_only.isChecked()
        return NewConnection(
            name=self.name.text().strip(),
            region=self.region.text().strip(),
            deployment_prefix=self.prefix.text().strip(),
            profile=self.profile.text().strip() if profile else None,
            access_key_id=self.access_key_id.text().strip() if key else None,
            secret=self.secret.text().strip() if key else None,
            endpoint_url=(self.endpoint.text().strip() or None) if aws else None,
            account=(self.account.text().strip() or None) if aws else None,
            make_default=self.make_default.isChecked(),
            lisa_api_url=self.api_url.text().strip() or None,
            lisa_api_token=self.api_token.text().strip() or None,
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
        elif self.use_key.isChecked():
            missing += [] if connection.access_key_id else ["Access key id"]
            missing += [] if connection.secret else ["Secret access key"]
        else:
            missing += [] if connection.lisa_api_url else ["LISA API URL (a connection without AWS credentials)"]
        if connection.lisa_api_url and not connection.lisa_api_token:
            missing.append("LISA API token (with a LISA API URL)")
        return [f"{label} is required" for label in missing]

    def submit(self) -> None:
        connection = self.connection()
        problems = self.problems(connection)
        needs_keychain = self.use_key.isChecked() or connection.lisa_api_url is not None
        if not problems and needs_keychain and self._keychain_refusal:
            problems = [self._keychain_refusal]
        if problems:
            self.show_error("; ".join(problems))
            return
        self.error.hide()
        self.submitted.emit(connection)
