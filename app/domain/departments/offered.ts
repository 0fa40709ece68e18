import { departmentsRepo } from '../../storage/departments.ts';
import type { Store } from '../../storage/store.ts';
import type { OfferedDepartment } from '../../shared/departments.ts';
import { errors } from '../errors.ts';

// Which departments a visitor may choose, and which one a new chat goes to (issue 14). A chat with
// no department (none offered) is null, treated as every chat was before departments were offered.

export function visitorDepartments(db: Store) {
  const departments = departmentsRepo(db);

  async function offered(): Promise<OfferedDepartment[]> {
    return (await departments.offered()).map((row) => ({
      id: Number(row.id),
      name: row.visitor_name,
    }));
  }

  return {
    /** Only what the pre-chat form shows: id and visitor-facing name, ordered by that name. */
    offered,

    /** The department of a new chat: the visitor's pick if offered, the only one, or none. */
    async choose(departmentId: number | undefined): Promise<number | null> {
      const choices = await offered();
      if (departmentId === undefined) {
        if (choices.length === 0) return null;
        if (choices.length === 1) return choices[0]!.id;
        throw errors.invalidInput(
          'Please choose a department for your question, then start again.',
        );
      }
      if (choices.some((choice) => choice.id === departmentId)) return departmentId;
      throw errors.invalidInput(
        'This department does not take chats; please reload the page and choose one from the list.',
      );
    },
  };
}

export type VisitorDepartments = ReturnType<typeof visitorDepartments>;
