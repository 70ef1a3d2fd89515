; Inno Setup 6 script: a Windows installer over the PyInstaller one-folder bundle (dist\lisa-desktop\).
;
; Built on Windows (not on the Linux CI), from the repository root, after the bundle:
;   py -3.11 -m venv .venv-build
;   .venv-build\Scripts\python -m pip install -c requirements\constraints.txt ".[packaging]"
;   .venv-build\Scripts\pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\lisa-desktop.spec
;   "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\lisa-desktop.iss
; gives dist\lisa-desktop-0.1.0-windows-x64-setup.exe. Then, in a new console:
;   lisa-desktop --version  &&  lisa-desktop --self-test
; (packaging/README.md). The installer is not code-signed: SmartScreen warns until it is (signtool, see README).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "LISA Desktop"
#define Bundle "..\..\dist\lisa-desktop"

[Setup]
AppId={{6E0C3B5A-2F1D-4C7E-9B57-3A8E0D4F1C21}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=LISA Desktop maintainers
AppPublisherURL=https://github.com/awslabs/LISA
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
OutputDir=..\..\dist
OutputBaseFilename=lisa-desktop-{#AppVersion}-windows-x64-setup
SetupIconFile=lisa-desktop.ico
UninstallDisplayIcon={app}\lisa-desktop-gui.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Per-user install without admin rights, or for all users with them: the user chooses.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ChangesEnvironment=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add lisa-desktop to PATH (the command line for scripts and ops)"

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\lisa-desktop-gui.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\lisa-desktop-gui.exe"; Tasks: desktopicon

[Registry]
; PATH for the per-user install (HKCU) and the all-users one (HKLM); removed again by the uninstaller below.
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; \
  Tasks: addtopath; Check: not IsAdminInstallMode and NeedsAddPath(ExpandConstant('{app}'))
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; \
  ValueName: "Path"; ValueData: "{olddata};{app}"; \
  Tasks: addtopath; Check: IsAdminInstallMode and NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\lisa-desktop-gui.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; \
  Flags: nowait postinstall skipifsilent

[Code]
function PathKey(var Root: Integer): String;
begin
  if IsAdminInstallMode then begin
    Root := HKEY_LOCAL_MACHINE;
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';
  end else begin
    Root := HKEY_CURRENT_USER;
    Result := 'Environment';
  end;
end;

function NeedsAddPath(Dir: String): Boolean;
var
  Root: Integer;
  Paths: String;
begin
  if not RegQueryStringValue(Root, PathKey(Root), 'Path', Paths) then begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Root: Integer;
  Key, Paths, Dir: String;
  At: Integer;
begin
  if CurUninstallStep <> usPostUninstall then
    exit;
  Key := PathKey(Root);
  Dir := ExpandConstant('{app}');
  if RegQueryStringValue(Root, Key, 'Path', Paths) then begin
    At := Pos(';' + Uppercase(Dir), Uppercase(Paths));
    if At > 0 then begin
      Delete(Paths, At, Length(Dir) + 1);
      RegWriteExpandStringValue(Root, Key, 'Path', Paths);
    end;
  end;
end;
