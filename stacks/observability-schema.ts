import { z } from "zod";

/**
 * The stack spec's `platform:observability` and `platform:alerting` sections. The
 * secrets live under their providers' own keys, never here: `grafana:auth`
 * (`admin:<password>`, the admin login Grafana is installed with and the Grafana provider
 * uses) and `pagerduty:token` (a PagerDuty REST API token).
 */

const days = (fallback: number, what: string) =>
  z.number().int().min(1).max(3650).default(fallback).describe(`days ${what} are kept (default ${fallback})`);

export const observabilitySchema = z
  .object({
    baselineSamplingPercent: z
      .number()
      .min(0)
      .max(100)
      .default(10)
      .describe(
        "percent of ordinary traces kept; errors and traces slower than 200 ms are always kept (default 10)",
      ),
    retentionDays: z
      .object({ metrics: days(395, "metrics"), logs: days(30, "logs"), traces: days(14, "traces") })
      .strict()
      .prefault({})
      .describe("an object { metrics? [395], logs? [30], traces? [14] } of retention days"),
    grafanaUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'the URL people and the Grafana provider reach Grafana at, e.g. "https://grafana.example.com" (default: its in-cluster URL)',
      ),
  })
  .strict()
  .prefault({})
  .describe("an object { baselineSamplingPercent?, retentionDays?, grafanaUrl? }");

export const alertingSchema = z
  .object({
    runbookBaseUrl: z
      .url({ protocol: /^https?$/ })
      .describe(
        'the docs/runbooks folder as a browsable URL, e.g. "https://github.com/acme/platform/blob/main/docs/runbooks"',
      ),
    onCall: z
      .object({
        emails: z
          .array(z.email())
          .min(1)
          .describe("login emails of the PagerDuty users on call, in rotation order"),
        escalationEmails: z
          .array(z.email())
          .default([])
          .describe(
            "login emails of the PagerDuty users paged when on-call does not acknowledge (default none)",
          ),
        timeZone: z
          .string()
          .min(1)
          .default("Etc/UTC")
          .describe('the schedule\'s IANA time zone (default "Etc/UTC")'),
        rotationStart: z.iso
          .datetime()
          .default("2026-01-05T09:00:00Z")
          .describe(
            'when the rotation starts, ISO 8601; hand-offs at its time of day (default "2026-01-05T09:00:00Z")',
          ),
        handoffDays: z
          .number()
          .int()
          .min(1)
          .max(28)
          .default(7)
          .describe("days each person is on call (default 7)"),
      })
      .strict()
      .describe("an object { emails, escalationEmails?, timeZone?, rotationStart?, handoffDays? }"),
  })
  .strict()
  .describe(
    "an object { runbookBaseUrl, onCall: { emails, escalationEmails?, timeZone?, rotationStart?, handoffDays? } }",
  );
