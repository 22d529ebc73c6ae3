; Inno Setup 6 script for SAVSR Studio (Windows x64).
;
; Build the bundle first, on Windows, from the repository root:
;     .venv\Scripts\python packaging\build.py              (CPU-only: dist\savsr-studio)
;     .venv\Scripts\python packaging\build.py --variant cuda   (CUDA: dist\savsr-studio-cuda)
; then compile this script (Inno Setup 6.3 or later; ISCC.exe is on PATH after installing it):
;     for /f %v in ('.venv\Scripts\python -c "from engine import __version__; print(__version__)"') do set V=%v
;     iscc packaging\windows\savsr_studio.iss /DAppVersion=%V%
;     iscc packaging\windows\savsr_studio.iss /DAppVersion=%V% /DCuda
; (the version lives only in engine/__init__.py; in a .bat file write %%v for %v)
; Output: dist\installers\SAVSR-Studio-<version>-windows-x64[-cuda]-setup.exe (+ .bin slices for CUDA).
;
; What it does: installs the one-folder bundle to Program Files (or the user's AppData when the
; user is not an administrator: the installer asks), adds Start menu entries, optional desktop icon,
; optional "Open with SAVSR Studio" for video files, and optionally puts the folder on PATH so
; `savsr` works in a terminal. The uninstaller removes all of that; settings stay in the user's
; AppData (the app's own config folder). After installing it runs the self-test on request.

#ifndef AppVersion
  #error Pass the version from engine/__init__.py: iscc packaging\windows\savsr_studio.iss /DAppVersion=<version>
#endif
#define AppName "SAVSR Studio"
#define AppPublisher "SAVSR Studio project"
#define AppExe "savsr-app.exe"
#ifdef Cuda
  #define BundleDir "..\..\dist\savsr-studio-cuda"
  #define Flavour "-cuda"
#else
  #define BundleDir "..\..\dist\savsr-studio"
  #define Flavour ""
#endif

[Setup]
; AppId identifies the product for upgrades and the uninstaller: never change it between releases
AppId={{6C0F4E52-1B0B-4B7A-9E55-5A7D2B1C3E41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist\installers
OutputBaseFilename=SAVSR-Studio-{#AppVersion}-windows-x64{#Flavour}-setup
SetupIconFile=..\..\resources\icons\savsr_studio.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
LZMANumBlockThreads=4
ChangesEnvironment=yes
ChangesAssociations=yes
CloseApplications=yes
#ifdef Cuda
; the CUDA bundle is several GB: a single setup.exe cannot hold more than about 2 GB, so slice it
DiskSpanning=yes
DiskSliceSize=max
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "openwith"; Description: "Offer SAVSR Studio in ""Open with"" for video files (.mp4, .mov, .mkv)"; GroupDescription: "Integration:"
Name: "addtopath"; Description: "Add the savsr command to PATH (for terminals and scripts)"; GroupDescription: "Integration:"; Flags: unchecked

[InstallDelete]
; an upgrade replaces the bundle completely: stale libraries from an older torch or Qt must not linger
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{userdocs}"
Name: "{group}\SAVSR command prompt"; Filename: "{cmd}"; Parameters: "/k ""set ""PATH={app};%PATH%"" && savsr --help"""; WorkingDir: "{userdocs}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Registry]
; "Open with" entries (no default-program hijack): an application registration plus OpenWithList
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\shell\open\command"; ValueType: string; ValueData: """{app}\{#AppExe}"" ""%1"""; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".mp4"; ValueData: ""; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".mov"; ValueData: ""; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".mkv"; ValueData: ""; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.mp4\OpenWithList\{#AppExe}"; ValueType: string; ValueData: ""; Flags: uninsdeletekey; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.mov\OpenWithList\{#AppExe}"; ValueType: string; ValueData: ""; Flags: uninsdeletekey; Tasks: openwith
Root: HKA; Subkey: "Software\Classes\.mkv\OpenWithList\{#AppExe}"; ValueType: string; ValueData: ""; Flags: uninsdeletekey; Tasks: openwith

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
; The self-test renders a few frames with no window and writes its one-line result to a log file
Filename: "{cmd}"; Parameters: "/c """"{app}\{#AppExe}"" --selftest > ""{localappdata}\SAVSR Studio selftest.log"" 2>&1"""; Description: "Check the installation now (self-test: renders 8 frames, a minute or two; result in {localappdata}\SAVSR Studio selftest.log)"; Flags: postinstall skipifsilent unchecked runhidden waituntilterminated

[UninstallDelete]
Type: files; Name: "{localappdata}\SAVSR Studio selftest.log"

[Code]
{ PATH handling for the "addtopath" task: per-user PATH for a per-user install, machine PATH for
  an all-users install. Added once, removed exactly on uninstall. }

function PathKeyRoot(): Integer;
begin
  if IsAdminInstallMode() then Result := HKEY_LOCAL_MACHINE else Result := HKEY_CURRENT_USER;
end;

function PathKey(): String;
begin
  if IsAdminInstallMode() then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

function PathContains(Paths, Dir: String): Boolean;
begin
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') > 0;
end;

procedure AddToPath(Dir: String);
var Paths: String;
begin
  if not RegQueryStringValue(PathKeyRoot(), PathKey(), 'Path', Paths) then Paths := '';
  if PathContains(Paths, Dir) then exit;
  if (Paths <> '') and (Copy(Paths, Length(Paths), 1) <> ';') then Paths := Paths + ';';
  RegWriteExpandStringValue(PathKeyRoot(), PathKey(), 'Path', Paths + Dir);
end;

procedure RemoveFromPath(Dir: String);
var Paths: String; P: Integer;
begin
  if not RegQueryStringValue(PathKeyRoot(), PathKey(), 'Path', Paths) then exit;
  Paths := ';' + Paths + ';';
  P := Pos(';' + Uppercase(Dir) + ';', Uppercase(Paths));
  if P = 0 then exit;
  Delete(Paths, P, Length(Dir) + 1);
  Paths := Copy(Paths, 2, Length(Paths) - 2);
  RegWriteExpandStringValue(PathKeyRoot(), PathKey(), 'Path', Paths);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
    AddToPath(ExpandConstant('{app}'));
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
