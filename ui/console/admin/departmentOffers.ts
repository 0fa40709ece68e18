import type { DepartmentOfferInput, DepartmentOfferView } from '../../../app/shared/departments.ts';
import { api } from './api.ts';

// Admin › Departments: what visitors are offered (issue 14).

export const listDepartmentOffers = async () =>
  (await api<{ departments: DepartmentOfferView[] }>('GET', '/api/departments/offers')).departments;
export const saveDepartmentOffer = async (id: number, input: DepartmentOfferInput) =>
  (await api<{ department: DepartmentOfferView }>('PUT', `/api/departments/${id}/offer`, input))
    .department;
export type { DepartmentOfferView };
