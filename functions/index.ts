// Entry point for the Functions runtime (package.json "main" → dist/functions/index.js).
// Each import registers one function; local mode imports this same file.
import '../lib/host/small-heap.js'; // first: V8 heap policy for the whole worker
import './onResourceChange.js';
import './monthlySweep.js';
import './sweepSubscription.js';
import './publishDigests.js';
import './identityValidation.js';
import './apiRemediations.js';
import './apiRemediation.js';
import './apiRemediationRestore.js';
import './apiControls.js';
import './apiExceptions.js';
import './apiException.js';
import './apiExceptionApprove.js';
import './apiReports.js';
import './apiReportFile.js';
import './apiUi.js';
