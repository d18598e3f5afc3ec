/** The header's theme switch: System (follow the OS), Light or Dark, remembered across launches. */
import { useId, useState } from 'react';
import { applyTheme, readTheme, saveTheme, THEME_CHOICES, type ThemeChoice } from '../lib/theme.js';

const LABELS: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };

export function ThemeSwitch() {
  const id = useId();
  const [choice, setChoice] = useState<ThemeChoice>(readTheme);
  return (
    <span className="theme-switch">
      <label htmlFor={id}>Theme</label>
      <select
        id={id}
        value={choice}
        onChange={(e) => {
          const next = THEME_CHOICES.find((c) => c === e.target.value) ?? 'system';
          setChoice(next);
          saveTheme(next);
          applyTheme(next);
        }}
      >
        {THEME_CHOICES.map((c) => (
          <option key={c} value={c}>
            {LABELS[c]}
          </option>
        ))}
      </select>
    </span>
  );
}
