"""The WinRM lab: a Windows WinRM host on 127.0.0.1 built from real parts (pwsh, GSSAPI, an MIT KDC,
a real PKI), for testing WinRM Desk against real peers. Run it with `python -m winrm_lab`; see README.md."""
