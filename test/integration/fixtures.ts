/** Shared policy for integration tests: a small Prefect-like app on app.example.com. */
export const APP_HOST = 'app.example.com';

/** Health is public, /admin needs admin, writes to flows need engineer, the rest of /api needs viewer or engineer. */
export const APP_POLICY = `version: 1
default: deny
rules:
  - name: health
    hosts: [${APP_HOST}]
    paths: [/api/health]
    allow: public
  - name: admin-api
    hosts: [${APP_HOST}]
    paths: ["/admin/**"]
    allow:
      anyRole: [admin]
  - name: flows-write
    hosts: [${APP_HOST}]
    paths: ["/api/flows/**"]
    methods: [POST, PUT, PATCH, DELETE]
    allow:
      anyRole: [engineer]
  - name: api-read
    hosts: [${APP_HOST}]
    paths: ["/api/**"]
    allow:
      - anyRole: [viewer, engineer]
      - anyGroup: [/platform/admins]
`;
