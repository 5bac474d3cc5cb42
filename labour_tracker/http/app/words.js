// What the service's codes mean, in plain words.
export const PHASES = {
  planned: "Labour is planned and has not begun.",
  early: "Early labour: contractions are further apart and shorter. Rest, eat and drink if you can.",
  active: "Active labour: contractions are stronger, longer and closer together.",
  transition: "Transition: the most intense part, just before birth.",
  complete: "Labour is complete.",
};

export const ALERTS = {
  prepare_for_hospital: "Get ready: contractions suggest it will soon be time to go to hospital.",
  hospital: "Time to go to hospital (or call your midwife): contractions are regular, long and close together.",
  urgent_attention: "Call your midwife or maternity unit now: the pattern needs urgent attention.",
};

export const MOMENTS = {
  waters_broken: "Waters have broken",
  on_the_way_to_hospital: "On the way to hospital",
  arrived_at_hospital: "Arrived at hospital",
  baby_born: "Baby is born",
};

export const KINDS = {
  announcement: "Announcement (texted and emailed to followers)",
  status_update: "Status (followers see it, nothing is sent)",
  private_note: "Private note (yours alone)",
};

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes ? `${minutes} min ${String(whole % 60).padStart(2, "0")} s` : `${whole} s`;
}

export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function patternInWords(pattern) {
  const hour = pattern && pattern.last_hour;
  if (!hour || hour.count === 0) return "No contractions in the last hour.";
  const parts = [`${hour.count} contraction${hour.count === 1 ? "" : "s"} in the last hour`];
  if (hour.mean_duration_seconds) parts.push(`lasting ${duration(hour.mean_duration_seconds)} on average`);
  if (hour.mean_frequency_seconds) parts.push(`one every ${duration(hour.mean_frequency_seconds)}`);
  if (hour.mean_intensity) parts.push(`strength ${hour.mean_intensity.toFixed(1)} of 10`);
  return parts.join(", ") + ".";
}

export function updateText(update) {
  return update.message || MOMENTS[update.moment] || "";
}

export const EVENTS = {
  "labour.begun": "labour has begun",
  "labour.prepare_for_hospital_recommended": "get ready for hospital",
  "labour.hospital_recommended": "time to go to hospital",
  "labour.urgent_attention_advised": "urgent attention",
  "labour.completed": "labour is complete",
  "labour.update_posted": "your announcement",
  "subscriber.confirmation_code_sent": "a confirmation code",
};
