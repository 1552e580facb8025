/** A link as the API answers it, for the conformance checkers' own tests. */
export const SAMPLE_ID = '0e6a4b7c-5b1f-4c7e-9b8e-2f4c1d7a9e10';
export const SAMPLE_REQUEST_ID = 'a'.repeat(32);
export const SAMPLE_LINK = {
  id: SAMPLE_ID,
  institution: 'erebor_mx_retail',
  access_mode: 'recurrent',
  last_accessed_at: '2024-01-02T03:04:05.000Z',
  created_at: '2024-01-02T03:04:05.000Z',
  external_id: null,
  institution_user_id: 'Kx9jJMn-OfCUMedYS3YCTX7-xsxfwFeKOhOiTmwWTso=',
  status: 'valid',
  created_by: SAMPLE_ID,
  refresh_rate: '7d',
};
