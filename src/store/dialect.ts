// Which database engine a Store runs on. Repositories are written once for both; the few
// places that must differ (locking) branch on this and say why.
export type StoreDialect = 'sqlite' | 'postgres';
