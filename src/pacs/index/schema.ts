import type { SqlDialect } from './dialect.ts';

/**
 * Numbered migrations. The index records each applied version in `migrations` and, on open,
 * applies the ones above the highest recorded, each in its own transaction. A migration's
 * text never changes once released: a new column is a new migration, for example
 *
 *   { version: 2, description: 'series.protocol_name', statements: (d) => [
 *       `ALTER TABLE series ADD COLUMN protocol_name ${d.types.text} NOT NULL DEFAULT ''`] }
 *
 * plus its entry in catalogue.ts (existing rows keep '' until re-indexed from the store).
 *
 * Tables (ids are integer surrogate keys; children reference parents ON DELETE CASCADE):
 *   patients   identity `patient_key` (see `patientKey`), attributes, derived counts
 *   studies    -> patients; attributes, ModalitiesInStudy, SOPClassesInStudy, counts
 *   series     -> studies; attributes, NumberOfSeriesRelatedInstances
 *   instances  -> series; attributes, file path, size, transfer syntax, source AE, received time
 *   instance_headers -> instances; the header (explicit VR little endian, no pixel data),
 *              apart so that scans of `instances` stay small
 *   changes    (migration 2) the change log: seq, type, level, resource identifier, time;
 *              change_log_state: the seq through which it was emptied
 * `last_instance` is the most recently indexed instance below an entity: its header answers
 * the keys that have no column. `total_size` sums file sizes for statistics().
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  statements(dialect: SqlDialect): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'patients, studies, series, instances, instance_headers and their indexes',
    statements: (d) => {
      const { id, integer: int, text, blob } = d.types;
      const t = `${text} NOT NULL DEFAULT ''`;
      const counts = `number_of_instances ${int} NOT NULL DEFAULT 0,
        total_size ${int} NOT NULL DEFAULT 0,
        last_instance ${int}`;
      return [
        `CREATE TABLE patients (
          id ${id},
          patient_key ${text} NOT NULL UNIQUE,
          patient_name ${t}, patient_name_norm ${t},
          patient_id ${t},
          issuer_of_patient_id ${t},
          patient_birth_date ${t}, patient_birth_date_key ${t},
          patient_sex ${t},
          other_patient_ids ${t},
          number_of_studies ${int} NOT NULL DEFAULT 0,
          number_of_series ${int} NOT NULL DEFAULT 0,
          ${counts})`,
        `CREATE TABLE studies (
          id ${id},
          patient ${int} NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
          study_instance_uid ${text} NOT NULL UNIQUE,
          study_date ${t}, study_date_key ${t},
          study_time ${t}, study_time_key ${t},
          accession_number ${t},
          study_id ${t},
          study_description ${t},
          referring_physician_name ${t}, referring_physician_name_norm ${t},
          modalities_in_study ${t},
          sop_classes_in_study ${t},
          number_of_series ${int} NOT NULL DEFAULT 0,
          ${counts})`,
        `CREATE TABLE series (
          id ${id},
          study ${int} NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
          series_instance_uid ${text} NOT NULL UNIQUE,
          modality ${t},
          series_number ${t}, series_number_int ${int},
          series_description ${t},
          body_part_examined ${t},
          series_date ${t}, series_date_key ${t},
          series_time ${t}, series_time_key ${t},
          performed_procedure_step_start_date ${t}, performed_procedure_step_start_date_key ${t},
          performed_procedure_step_start_time ${t}, performed_procedure_step_start_time_key ${t},
          ${counts})`,
        `CREATE TABLE instances (
          id ${id},
          series ${int} NOT NULL REFERENCES series(id) ON DELETE CASCADE,
          sop_instance_uid ${text} NOT NULL UNIQUE,
          sop_class_uid ${t},
          instance_number ${t}, instance_number_int ${int},
          content_date ${t}, content_date_key ${t},
          content_time ${t}, content_time_key ${t},
          acquisition_date_time ${t}, acquisition_date_time_key ${t},
          path ${text} NOT NULL,
          size ${int} NOT NULL,
          transfer_syntax_uid ${t},
          source_ae_title ${t},
          received_at ${int} NOT NULL)`,
        `CREATE TABLE instance_headers (
          instance ${int} PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
          header ${blob} NOT NULL)`,
        // The keys people search on (PS3.4 C.6 unique and required keys); UIDs are UNIQUE above.
        'CREATE INDEX patients_patient_id ON patients(patient_id)',
        'CREATE INDEX patients_patient_name_norm ON patients(patient_name_norm)',
        'CREATE INDEX patients_patient_name ON patients(patient_name)',
        'CREATE INDEX studies_patient ON studies(patient)',
        'CREATE INDEX studies_study_date ON studies(study_date_key, study_time_key)',
        'CREATE INDEX studies_accession_number ON studies(accession_number)',
        // (study, modality) serves the foreign key and ModalitiesInStudy matching.
        'CREATE INDEX series_study ON series(study, modality)',
        'CREATE INDEX series_modality ON series(modality)',
        // (series, sop_class_uid) serves the foreign key, SOPClassUID at IMAGE level and SOPClassesInStudy.
        'CREATE INDEX instances_series ON instances(series, sop_class_uid)',
      ];
    },
  },
  {
    version: 2,
    description: 'changes: the change log (Orthanc /changes)',
    statements: (d) => [
      `CREATE TABLE changes (
        seq ${d.types.id},
        change_type ${d.types.text} NOT NULL,
        level ${d.types.text} NOT NULL,
        resource ${d.types.text} NOT NULL,
        at ${d.types.integer} NOT NULL)`,
      // Emptying the log keeps its newest row, hidden by this mark, so that new entries
      // number on from it: a plain integer key is max + 1, and AUTOINCREMENT would cost every
      // ingest transaction a write to sqlite_sequence.
      `CREATE TABLE change_log_state (cleared_through ${d.types.integer} NOT NULL)`,
      'INSERT INTO change_log_state (cleared_through) VALUES (0)',
    ],
  },
  {
    version: 3,
    description: 'patients.protected: never recycled when storage is full (Orthanc /patients/{id}/protected)',
    statements: (d) => [`ALTER TABLE patients ADD COLUMN protected ${d.types.integer} NOT NULL DEFAULT 0`],
  },
];

export const MIGRATIONS_TABLE = (d: SqlDialect): string =>
  `CREATE TABLE IF NOT EXISTS migrations (
     version ${d.types.integer} PRIMARY KEY,
     description ${d.types.text} NOT NULL,
     applied_at ${d.types.text} NOT NULL)`;
