import { departmentsRepo, type DepartmentRow } from '../../storage/departments.ts';
import { transaction, type Store } from '../../storage/store.ts';
import type { DepartmentOfferInput, DepartmentOfferView } from '../../shared/departments.ts';
import { diff, recordChange, type AccountServices, type Actor } from '../accounts/actor.ts';
import { errors } from '../errors.ts';

// Admin › Departments (departments.manage): the name visitors see and whether they are offered it.

function present(row: DepartmentRow): DepartmentOfferView {
  return {
    id: Number(row.id),
    name: row.name,
    visitorName: row.visitor_name,
    offered: Boolean(row.offered),
  };
}

export async function listOffers(db: Store): Promise<DepartmentOfferView[]> {
  return (await departmentsRepo(db).list()).map(present);
}

/** Changes a department's visitor name and offered flag, audited like its other changes. */
export async function setOffer(
  services: AccountServices,
  actor: Actor,
  id: number,
  input: DepartmentOfferInput,
): Promise<DepartmentOfferView> {
  const before = await departmentsRepo(services.db).byId(id);
  if (!before) throw errors.notFound('department');
  const after = { visitor_name: input.visitorName, offered: input.offered };
  const changes = diff(
    { visitor_name: before.visitor_name, offered: Boolean(before.offered) },
    after,
  );
  if (Object.keys(changes).length > 0) {
    await transaction(services.db, async (trx) => {
      await departmentsRepo(trx).setOffer(id, after);
      await recordChange(
        services,
        actor,
        {
          action: 'department.update',
          target: { kind: 'department', id },
          departmentId: id,
          details: { changes },
        },
        trx,
      );
    });
  }
  const row = await departmentsRepo(services.db).byId(id);
  if (!row) throw errors.notFound('department');
  return present(row);
}
