/** The application frame. The sidebar, tabs and terminals arrive with the desktop-app issue. */
export function App() {
  return (
    <main aria-label="WinRM Desk">
      <h1>WinRM Desk</h1>
      <p>Remote PowerShell for Windows servers. The console is under construction.</p>
    </main>
  );
}
