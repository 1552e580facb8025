// Public surface of the audit log.
export { Audit, CLI, SYSTEM, outcomeOf, type AuditAction, type AuditActor, type AuditEntry, type AuditRecord } from './service.js';
