/** Settings: server profiles, embedded server, logs, about. */
import { AboutSection } from './settings/about.js';
import { EmbeddedServerSection } from './settings/embedded-server.js';
import { LogViewer } from './settings/log-viewer.js';
import { ProfilesSection } from './settings/profiles.js';

export function SettingsPage() {
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <ProfilesSection />
      <EmbeddedServerSection />
      <LogViewer />
      <AboutSection />
    </section>
  );
}
