// The wire shapes of departments as visitors see them (issue 14): the pre-chat form's choice, and
// the admin's settings for it. The UI imports these types only; nothing here runs.

/** A department the pre-chat form offers: only its id and the name visitors see. */
export interface OfferedDepartment {
  id: number;
  name: string;
}

/** GET /api/visitor/departments (widget, visitor token). */
export interface OfferedDepartmentsResponse {
  departments: OfferedDepartment[];
}

/** A department's visitor-facing settings, for Admin › Departments (departments.manage). */
export interface DepartmentOfferView {
  id: number;
  /** The department's own name, which agents see. */
  name: string;
  /** What visitors see instead; null shows `name`. */
  visitorName: string | null;
  offered: boolean;
}

/** PUT /api/departments/:id/offer */
export interface DepartmentOfferInput {
  visitorName: string | null;
  offered: boolean;
}
