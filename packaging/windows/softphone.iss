; Inno Setup script for the Windows installer (built by .github/workflows/desktop-windows.yml):
;   iscc /DAppVersion=0.1.0 packaging\windows\softphone.iss     -> dist\Softphone-Setup-0.1.0.exe
; Installs dist\Softphone\ per user (no admin rights), a Start-menu entry, and registers the app for
; tel:, sip:, sips: and callto: links (Windows offers it in "Default apps > Choose defaults by link type").
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6F0B8A52-3C1D-4E43-9C6E-5E4A2B7D9F10}
AppName=Softphone
AppVersion={#AppVersion}
AppPublisher=Softphone
DefaultDirName={localappdata}\Programs\Softphone
DefaultGroupName=Softphone
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=Softphone-Setup-{#AppVersion}
SetupIconFile=..\..\ui\resources\icons\app.ico
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesInstallIn64BitMode=x64compatible

[Languages]
Name: "vi"; MessagesFile: "compiler:Languages\Vietnamese.isl"
Name: "en"; MessagesFile: "compiler:Default.isl"

[Files]
Source: "..\..\dist\Softphone\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Softphone"; Filename: "{app}\softphone.exe"
Name: "{userdesktop}\Softphone"; Filename: "{app}\softphone.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; Flags: unchecked

[Registry]
; The app as a handler for phone links: one ProgID, advertised in Capabilities for each scheme.
Root: HKCU; Subkey: "Software\Classes\Softphone.Link"; ValueType: string; ValueData: "Softphone link"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Softphone.Link\shell\open\command"; ValueType: string; ValueData: """{app}\softphone.exe"" ""%1"""
Root: HKCU; Subkey: "Software\Softphone\Capabilities"; ValueType: string; ValueName: "ApplicationName"; ValueData: "Softphone"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Softphone\Capabilities"; ValueType: string; ValueName: "ApplicationDescription"; ValueData: "Call-center softphone"
Root: HKCU; Subkey: "Software\Softphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "tel"; ValueData: "Softphone.Link"
Root: HKCU; Subkey: "Software\Softphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "sip"; ValueData: "Softphone.Link"
Root: HKCU; Subkey: "Software\Softphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "sips"; ValueData: "Softphone.Link"
Root: HKCU; Subkey: "Software\Softphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "callto"; ValueData: "Softphone.Link"
Root: HKCU; Subkey: "Software\RegisteredApplications"; ValueType: string; ValueName: "Softphone"; ValueData: "Software\Softphone\Capabilities"; Flags: uninsdeletevalue

[Run]
Filename: "{app}\softphone.exe"; Description: "{cm:LaunchProgram,Softphone}"; Flags: nowait postinstall skipifsilent
